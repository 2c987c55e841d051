import { randomUUID } from 'node:crypto';
import { createUser, TestUser } from '../factories/users';
import { buildInput } from '../factories/run-logs';
import { describeEachDatabase, startTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/databases';

const BUILDS = '/api/v1/monitor/builds';
const BUILD_FIELDS = [
  'build_id',
  'id',
  'flow_id',
  'job_id',
  'timestamp',
  'data',
  'artifacts',
  'params',
  'valid',
];
const at = (seconds: number) => new Date(Date.UTC(2026, 10, 24, 13) + seconds * 1000).toISOString();

async function countBuilds(testApp: TestApp, flowId?: string): Promise<number> {
  const [row] = await testApp.dataSource.query<{ count: string | number }[]>(
    `SELECT COUNT(*) AS "count" FROM "vertex_build"${flowId ? ` WHERE "flow_id" = '${flowId}'` : ''}`,
  );
  return Number(row.count);
}

describeEachDatabase(
  '/api/v1/monitor/builds',
  (ctx) => {
    async function post(user: TestUser, body: unknown) {
      return ctx().api.post(BUILDS, { key: user.key, body });
    }

    async function stored(user: TestUser, body: object[]): Promise<any[]> {
      const response = await post(user, body);
      expect(response.status).toBe(201);
      return response.body;
    }

    describe('POST', () => {
      it("stores builds and answers them in the input's order, every field as given", async () => {
        const alice = await createUser(ctx());
        const flowId = randomUUID();
        const full = buildInput({
          build_id: randomUUID(),
          id: 'ChatInput-NCmix',
          flow_id: flowId,
          job_id: randomUUID(),
          timestamp: '2026-11-24T15:09:00.5+02:00',
          data: { results: { message: 'Hi 🚀' }, list: [1, null, true] },
          artifacts: { message: 'Hi' },
          params: "{'input_value': 'Hi'}",
          valid: false,
        });
        const minimal = buildInput({ flow_id: flowId, id: 'ChatOutput-1' });

        const response = await post(alice, [full, minimal]);

        expect(response.status).toBe(201);
        expect(response.body[0]).toEqual({ ...full, timestamp: '2026-11-24T13:09:00.500Z' });
        expect(Object.keys(response.body[0])).toEqual(BUILD_FIELDS);
        expect(response.body[1]).toEqual({
          build_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          id: 'ChatOutput-1',
          flow_id: flowId,
          job_id: null,
          timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          data: null,
          artifacts: null,
          params: null,
          valid: true,
        });
        expect(await countBuilds(ctx(), flowId)).toBe(2);
      });

      it("answers 404 for another user's flow and stores nothing", async () => {
        const alice = await createUser(ctx());
        const bob = await createUser(ctx());
        const flowId = randomUUID();
        await stored(alice, [buildInput({ flow_id: flowId })]);

        const response = await post(bob, [
          buildInput({ flow_id: randomUUID() }),
          buildInput({ flow_id: flowId }),
        ]);

        expect(response.status).toBe(404);
        expect(response.body).toEqual({ detail: 'Flow not found' });
        expect(await countBuilds(ctx())).toBe(1);
      });

      it('answers 409 for a build_id that exists and stores nothing of the batch', async () => {
        const alice = await createUser(ctx());
        const [first] = await stored(alice, [buildInput()]);

        const response = await post(alice, [
          buildInput(),
          buildInput({ build_id: first.build_id }),
        ]);

        expect(response.status).toBe(409);
        expect(response.body).toEqual({ detail: `Vertex build already exists: ${first.build_id}` });
        expect(await countBuilds(ctx())).toBe(1);
      });

      it.each([
        ['an empty list', [], { type: 'too_short', loc: ['body'] }],
        [
          'a missing valid',
          [{ ...buildInput(), valid: undefined }],
          { type: 'missing', loc: ['body', 0, 'valid'] },
        ],
        [
          'a missing vertex id',
          [{ ...buildInput(), id: undefined }],
          { type: 'missing', loc: ['body', 0, 'id'] },
        ],
        [
          'a malformed flow_id',
          [buildInput({ flow_id: 'x' })],
          { type: 'uuid_parsing', loc: ['body', 0, 'flow_id'] },
        ],
        [
          'a list as data',
          [buildInput({ data: [1] })],
          { type: 'dict_type', loc: ['body', 0, 'data'] },
        ],
        [
          'a number as params',
          [buildInput({ params: 3 })],
          { type: 'string_type', loc: ['body', 0, 'params'] },
        ],
        [
          'an unknown field',
          [buildInput({ colour: 'blue' })],
          { type: 'extra_forbidden', loc: ['body', 0, 'colour'] },
        ],
        [
          'a bad timestamp',
          [buildInput({ timestamp: 'yesterday' })],
          { type: 'datetime_parsing', loc: ['body', 0, 'timestamp'] },
        ],
      ])('answers 422 for %s and stores nothing', async (_name, body, issue) => {
        const alice = await createUser(ctx());

        const response = await post(alice, body);

        expect(response.status).toBe(422);
        expect(response.body.detail).toEqual([expect.objectContaining(issue)]);
        expect(await countBuilds(ctx())).toBe(0);
      });

      it('answers 422 for the same build_id twice in one batch', async () => {
        const alice = await createUser(ctx());
        const buildId = randomUUID();

        const response = await post(alice, [
          buildInput({ build_id: buildId }),
          buildInput({ build_id: buildId }),
        ]);

        expect(response.status).toBe(422);
        expect(response.body.detail).toEqual([
          expect.objectContaining({ type: 'value_error', loc: ['body', 1, 'build_id'] }),
        ]);
      });

      it('answers 403 without a key', async () => {
        const response = await ctx().api.post(BUILDS, { body: [buildInput()] });
        expect(response.status).toBe(403);
        expect(response.body).toEqual({ detail: 'An API key must be passed as query or header' });
      });
    });

    describe('GET', () => {
      it('answers the newest build of each vertex, ties both kept, vertices by that timestamp', async () => {
        const alice = await createUser(ctx());
        const flowId = randomUUID();
        const other = randomUUID();
        const builds = await stored(alice, [
          buildInput({ flow_id: flowId, id: 'B', timestamp: at(1), data: { n: 1 } }),
          buildInput({ flow_id: flowId, id: 'B', timestamp: at(5), data: { n: 2 } }),
          buildInput({ flow_id: flowId, id: 'A', timestamp: at(3) }),
          buildInput({
            flow_id: flowId,
            id: '10',
            timestamp: at(9),
            build_id: 'ffffffff-0000-4000-8000-000000000000',
          }),
          buildInput({
            flow_id: flowId,
            id: '10',
            timestamp: at(9),
            build_id: '00000000-0000-4000-8000-000000000000',
          }),
          buildInput({ flow_id: flowId, id: '10', timestamp: at(2) }),
          buildInput({ flow_id: other, id: 'A', timestamp: at(99) }),
        ]);

        const response = await ctx().api.get(BUILDS, {
          key: alice.key,
          query: { flow_id: flowId },
        });

        expect(response.status).toBe(200);
        // Vertices in the order of their newest timestamp, read from the text: JSON.parse would
        // move the integer-like "10" to the front.
        const position = (vertex: string) => response.text.indexOf(`"${vertex}":[`);
        expect(position('A')).toBeGreaterThan(0);
        expect(position('A')).toBeLessThan(position('B'));
        expect(position('B')).toBeLessThan(position('10'));
        expect(response.body).toEqual({
          vertex_builds: {
            A: [builds[2]],
            B: [builds[1]],
            '10': [builds[4], builds[3]],
          },
        });
      });

      it("answers an empty map for a flow without builds, another user's flow and an unknown one", async () => {
        const alice = await createUser(ctx());
        const bob = await createUser(ctx());
        const flowId = randomUUID();
        await stored(alice, [buildInput({ flow_id: flowId })]);

        for (const [user, flow] of [
          [bob, flowId],
          [alice, randomUUID()],
        ] as const) {
          const response = await ctx().api.get(BUILDS, { key: user.key, query: { flow_id: flow } });
          expect(response.status).toBe(200);
          expect(response.body).toEqual({ vertex_builds: {} });
        }
      });

      it.each([
        [{}, { type: 'missing', loc: ['query', 'flow_id'], msg: 'Field required', input: null }],
        [{ flow_id: 'nope' }, { type: 'uuid_parsing', loc: ['query', 'flow_id'], input: 'nope' }],
      ])('answers 422 for %j', async (query, issue) => {
        const alice = await createUser(ctx());
        const response = await ctx().api.get(BUILDS, { key: alice.key, query });
        expect(response.status).toBe(422);
        expect(response.body.detail).toEqual([expect.objectContaining(issue)]);
      });

      it('answers 403 without a key, before validating', async () => {
        const response = await ctx().api.get(BUILDS);
        expect(response.status).toBe(403);
      });
    });

    describe('DELETE', () => {
      it('deletes every build of the flow and nothing else; idempotent', async () => {
        const alice = await createUser(ctx());
        const flowId = randomUUID();
        const kept = randomUUID();
        await stored(alice, [
          buildInput({ flow_id: flowId }),
          buildInput({ flow_id: flowId, id: 'X' }),
          buildInput({ flow_id: kept }),
        ]);

        for (let attempt = 0; attempt < 2; attempt += 1) {
          const response = await ctx().api.delete(BUILDS, {
            key: alice.key,
            query: { flow_id: flowId },
          });
          expect(response.status).toBe(204);
          expect(response.text).toBe('');
        }
        expect(await countBuilds(ctx(), flowId)).toBe(0);
        expect(await countBuilds(ctx(), kept)).toBe(1);
      });

      it("answers 204 for another user's flow and leaves its builds alone", async () => {
        const alice = await createUser(ctx());
        const bob = await createUser(ctx());
        const flowId = randomUUID();
        await stored(alice, [buildInput({ flow_id: flowId })]);

        const response = await ctx().api.delete(BUILDS, {
          key: bob.key,
          query: { flow_id: flowId },
        });

        expect(response.status).toBe(204);
        expect(await countBuilds(ctx(), flowId)).toBe(1);
      });

      it('answers 422 without flow_id and 403 without a key', async () => {
        const alice = await createUser(ctx());
        const invalid = await ctx().api.delete(BUILDS, { key: alice.key });
        expect(invalid.status).toBe(422);
        expect(invalid.body.detail).toEqual([
          expect.objectContaining({ type: 'missing', loc: ['query', 'flow_id'] }),
        ]);
        expect((await ctx().api.delete(BUILDS, { query: { flow_id: randomUUID() } })).status).toBe(
          403,
        );
      });
    });
  },
  { pgbouncer: true },
);

for (const database of testDatabases()) {
  describe(`vertex build retention [${database.name}]`, () => {
    let testApp: TestApp;
    beforeAll(async () => {
      testApp = await startTestApp(database, {
        MAX_VERTEX_BUILDS_PER_VERTEX: '3',
        MAX_VERTEX_BUILDS_TO_KEEP: '5',
      });
    });
    afterAll(async () => {
      await testApp.close();
    });

    it("keeps the newest builds per vertex and per flow, never another flow's or user's", async () => {
      const alice = await createUser(testApp);
      const bob = await createUser(testApp);
      const flowId = randomUUID();
      const bobFlow = randomUUID();
      const bobBuilds = Array.from({ length: 5 }, (_, i) =>
        buildInput({ flow_id: bobFlow, id: 'A', timestamp: at(i) }),
      );
      expect(
        (await testApp.api.post(BUILDS, { key: bob.key, body: bobBuilds.slice(0, 3) })).status,
      ).toBe(201);
      const aliceOther = randomUUID();
      expect(
        (
          await testApp.api.post(BUILDS, {
            key: alice.key,
            body: [buildInput({ flow_id: aliceOther, timestamp: at(-100) })],
          })
        ).status,
      ).toBe(201);

      // Six builds of A (three kept), then three of B and C (the flow keeps five overall).
      const a = Array.from({ length: 6 }, (_, i) =>
        buildInput({ flow_id: flowId, id: 'A', timestamp: at(10 + i) }),
      );
      expect((await testApp.api.post(BUILDS, { key: alice.key, body: a })).status).toBe(201);
      const rows = () =>
        testApp.dataSource.query<{ id: string; timestamp: string }[]>(
          `SELECT "id", "timestamp" FROM "vertex_build" WHERE "flow_id" = '${flowId}' ORDER BY "timestamp"`,
        );
      expect((await rows()).map((r) => r.timestamp)).toEqual([at(13), at(14), at(15)]);

      const more = [
        buildInput({ flow_id: flowId, id: 'B', timestamp: at(20) }),
        buildInput({ flow_id: flowId, id: 'C', timestamp: at(21) }),
        buildInput({ flow_id: flowId, id: 'C', timestamp: at(22) }),
      ];
      expect((await testApp.api.post(BUILDS, { key: alice.key, body: more })).status).toBe(201);

      expect((await rows()).map((r) => `${r.id}@${r.timestamp}`)).toEqual([
        `A@${at(14)}`,
        `A@${at(15)}`,
        `B@${at(20)}`,
        `C@${at(21)}`,
        `C@${at(22)}`,
      ]);
      expect(await countBuilds(testApp, bobFlow)).toBe(3);
      expect(await countBuilds(testApp, aliceOther)).toBe(1);
    });
  });
}
