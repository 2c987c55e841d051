import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createUser, TestUser } from '../factories/users';
import { transactionInput } from '../factories/run-logs';
import { describeEachDatabase, startTestApp, TestApp } from '../support/test-app';
import { testDatabases } from '../support/databases';

const TRANSACTIONS = '/api/v1/monitor/transactions';
const ITEM_FIELDS = [
  'id',
  'timestamp',
  'vertex_id',
  'target_id',
  'inputs',
  'outputs',
  'status',
  'error',
  'flow_id',
];
const at = (seconds: number) => new Date(Date.UTC(2026, 10, 24, 13) + seconds * 1000).toISOString();

async function countTransactions(testApp: TestApp, flowId?: string): Promise<number> {
  const [row] = await testApp.dataSource.query<{ count: string | number }[]>(
    `SELECT COUNT(*) AS "count" FROM "transaction"${flowId ? ` WHERE "flow_id" = '${flowId}'` : ''}`,
  );
  return Number(row.count);
}

describeEachDatabase(
  '/api/v1/monitor/transactions',
  (ctx) => {
    async function post(user: TestUser, body: unknown) {
      return ctx().api.post(TRANSACTIONS, { key: user.key, body });
    }

    async function stored(user: TestUser, body: object[]): Promise<any[]> {
      const response = await post(user, body);
      expect(response.status).toBe(201);
      return response.body;
    }

    function page(user: TestUser, query: Record<string, string>) {
      return ctx().api.get(TRANSACTIONS, { key: user.key, query });
    }

    describe('POST', () => {
      it('masks secrets and removes code before storing, and answers what was stored', async () => {
        const alice = await createUser(ctx());
        const flowId = randomUUID();
        const input = transactionInput({
          id: randomUUID(),
          flow_id: flowId,
          vertex_id: 'OpenAIModel-2kd9x',
          target_id: 'ChatOutput-u9cPC',
          status: 'error',
          error: 'invalid key',
          timestamp: '2026-11-24T13:09:00.123Z',
          inputs: {
            input_value: 'Hello',
            api_key: 'sk-proj-abcdefghijklmnop',
            OPENAI_API_KEY: 'short-key',
            password: 'hunter2',
            max_tokens: 256,
            author: 'Ada',
            authentication_method: 'oauth2',
            code: 'import os',
            template: {
              db_password: 'correct-horse-battery',
              code: { value: 'x' },
              keep: [1, { token: 'abcdefghijklmnopq' }],
            },
          },
          outputs: { text_output: 'Hi', access_token: 'eyJhbGciOiJIUzI1NiJ9' },
        });

        const [answer] = await stored(alice, [input]);

        const expected = {
          ...input,
          inputs: {
            input_value: 'Hello',
            api_key: 'sk-p...mnop',
            OPENAI_API_KEY: '***REDACTED***',
            password: '***REDACTED***',
            max_tokens: 256,
            author: 'Ada',
            authentication_method: 'oauth2',
            template: { db_password: 'corr...tery', keep: [1, { token: 'abcd...nopq' }] },
          },
          outputs: { text_output: 'Hi', access_token: 'eyJh...NiJ9' },
        };
        expect(answer).toEqual(expected);
        expect(Object.keys(answer)).toEqual(ITEM_FIELDS);
        const [row] = await ctx().dataSource.query<{ inputs: string; outputs: string }[]>(
          `SELECT "inputs", "outputs" FROM "transaction" WHERE "id" = '${input.id as string}'`,
        );
        expect(row.inputs).not.toContain('sk-proj-abcdefghijklmnop');
        expect(row.inputs).not.toContain('import os');
        expect(JSON.parse(row.inputs)).toEqual(expected.inputs);
        const listed = await page(alice, { flow_id: flowId });
        expect(listed.body.items).toEqual([expected]);
      });

      it('fills in the defaults', async () => {
        const alice = await createUser(ctx());
        const input = transactionInput();

        const [answer] = await stored(alice, [input]);

        expect(answer).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          vertex_id: 'OpenAIModel-2kd9x',
          target_id: null,
          inputs: null,
          outputs: null,
          status: 'success',
          error: null,
          flow_id: input.flow_id,
        });
      });

      it("answers 404 for another user's flow, 409 for an existing id, and stores nothing", async () => {
        const alice = await createUser(ctx());
        const bob = await createUser(ctx());
        const flowId = randomUUID();
        const [first] = await stored(alice, [transactionInput({ flow_id: flowId })]);

        const foreign = await post(bob, [
          transactionInput(),
          transactionInput({ flow_id: flowId }),
        ]);
        expect(foreign.status).toBe(404);
        expect(foreign.body).toEqual({ detail: 'Flow not found' });
        const repeated = await post(alice, [
          transactionInput(),
          transactionInput({ id: first.id }),
        ]);
        expect(repeated.status).toBe(409);
        expect(repeated.body).toEqual({ detail: `Transaction already exists: ${first.id}` });
        expect(await countTransactions(ctx())).toBe(1);
      });

      it.each([
        ['an empty list', [], { type: 'too_short', loc: ['body'] }],
        [
          'an unknown status',
          [transactionInput({ status: 'done' })],
          { type: 'value_error', loc: ['body', 0, 'status'] },
        ],
        [
          'a missing vertex_id',
          [{ ...transactionInput(), vertex_id: undefined }],
          { type: 'missing', loc: ['body', 0, 'vertex_id'] },
        ],
        [
          'a list as inputs',
          [transactionInput({ inputs: ['x'] })],
          { type: 'dict_type', loc: ['body', 0, 'inputs'] },
        ],
        [
          'an unknown field',
          [transactionInput({ source: 'x' })],
          { type: 'extra_forbidden', loc: ['body', 0, 'source'] },
        ],
      ])('answers 422 for %s and stores nothing', async (_name, body, issue) => {
        const alice = await createUser(ctx());
        const response = await post(alice, body);
        expect(response.status).toBe(422);
        expect(response.body.detail).toEqual([expect.objectContaining(issue)]);
        expect(await countTransactions(ctx())).toBe(0);
      });
    });

    describe('GET', () => {
      it('pages newest first, ties by id descending, stable and complete', async () => {
        const alice = await createUser(ctx());
        const flowId = randomUUID();
        const all = await stored(
          alice,
          Array.from({ length: 7 }, (_, i) =>
            transactionInput({
              flow_id: flowId,
              timestamp: at(Math.floor(i / 2)),
              vertex_id: `V-${i}`,
            }),
          ),
        );
        await stored(alice, [transactionInput({ timestamp: at(100) })]);
        const expected = [...all].sort((a, b) =>
          a.timestamp === b.timestamp ? (a.id < b.id ? 1 : -1) : a.timestamp < b.timestamp ? 1 : -1,
        );

        const pages = [];
        for (const number of [1, 2, 3]) {
          const response = await page(alice, { flow_id: flowId, page: String(number), size: '3' });
          expect(response.status).toBe(200);
          expect(Object.keys(response.body)).toEqual(['items', 'total', 'page', 'size', 'pages']);
          expect(response.body).toMatchObject({ total: 7, page: number, size: 3, pages: 3 });
          pages.push(...response.body.items);
        }
        expect(pages).toEqual(expected);

        const past = await page(alice, { flow_id: flowId, page: '4', size: '3' });
        expect(past.body).toEqual({ items: [], total: 7, page: 4, size: 3, pages: 3 });
        const defaults = await page(alice, { flow_id: flowId });
        expect(defaults.body).toEqual({ items: expected, total: 7, page: 1, size: 50, pages: 1 });
      });

      it("answers an empty first page for another user's flow or an unknown one", async () => {
        const alice = await createUser(ctx());
        const bob = await createUser(ctx());
        const flowId = randomUUID();
        await stored(alice, [transactionInput({ flow_id: flowId })]);

        for (const [user, flow] of [
          [bob, flowId],
          [alice, randomUUID()],
        ] as const) {
          const response = await page(user, { flow_id: flow, page: '2', size: '10' });
          expect(response.status).toBe(200);
          expect(response.body).toEqual({ items: [], total: 0, page: 1, size: 10, pages: 0 });
        }
      });

      const flow = randomUUID();
      it.each([
        [{}, 'missing', 'flow_id'],
        [{ flow_id: 'nope' }, 'uuid_parsing', 'flow_id'],
        [{ flow_id: flow, size: '101' }, 'less_than_equal', 'size'],
        [{ flow_id: flow, size: '0' }, 'greater_than_equal', 'size'],
        [{ flow_id: flow, size: 'ten' }, 'int_parsing', 'size'],
        [{ flow_id: flow, page: '0' }, 'greater_than_equal', 'page'],
        [{ flow_id: flow, page: '1.5' }, 'int_parsing', 'page'],
      ])('answers 422 for %j', async (query, type, field) => {
        const alice = await createUser(ctx());
        const response = await page(alice, query);
        expect(response.status).toBe(422);
        expect(response.body.detail).toEqual([
          expect.objectContaining({ type, loc: ['query', field] }),
        ]);
      });

      it('answers 403 without a key', async () => {
        const response = await ctx().api.get(TRANSACTIONS, { query: { flow_id: randomUUID() } });
        expect(response.status).toBe(403);
      });
    });
  },
  { pgbouncer: true },
);

for (const database of testDatabases()) {
  describe(`transaction retention [${database.name}]`, () => {
    let testApp: TestApp;
    beforeAll(async () => {
      testApp = await startTestApp(database, { MAX_TRANSACTIONS_TO_KEEP: '10' });
    });
    afterAll(async () => {
      await testApp.close();
    });

    it("keeps each flow's newest transactions and never another flow's or user's", async () => {
      const alice = await createUser(testApp);
      const bob = await createUser(testApp);
      const flowId = randomUUID();
      const bobFlow = randomUUID();
      const post = (user: TestUser, body: object[]) =>
        testApp.api.post(TRANSACTIONS, { key: user.key, body });
      expect(
        (
          await post(
            bob,
            Array.from({ length: 8 }, (_, i) =>
              transactionInput({ flow_id: bobFlow, timestamp: at(i) }),
            ),
          )
        ).status,
      ).toBe(201);

      const batch = Array.from({ length: 15 }, (_, i) =>
        transactionInput({ flow_id: flowId, timestamp: at(100 + i) }),
      );
      expect((await post(alice, batch)).status).toBe(201);

      const kept = await testApp.dataSource.query<{ timestamp: string }[]>(
        `SELECT "timestamp" FROM "transaction" WHERE "flow_id" = '${flowId}' ORDER BY "timestamp"`,
      );
      expect(kept.map((row) => row.timestamp)).toEqual(
        Array.from({ length: 10 }, (_, i) => at(105 + i)),
      );
      expect(await countTransactions(testApp, bobFlow)).toBe(8);
    });
  });
}

const postgresUrl = process.env.TEST_DATABASE_URL;
(postgresUrl ? describe : describe.skip)(
  'transaction retention under concurrent writers [postgres]',
  () => {
    // A database of the test's own: its deadlock counter then counts only this test's transactions
    // (the service retries a deadlock, so the answers alone would not show one).
    const name = `e2e_deadlock_${randomUUID().slice(0, 8)}`;
    let admin: Client;
    let testApp: TestApp;
    beforeAll(async () => {
      admin = new Client({ connectionString: postgresUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${name}"`);
      const url = new URL(postgresUrl as string);
      url.pathname = `/${name}`;
      testApp = await startTestApp(
        { name: 'postgres', url: url.toString() },
        { MAX_TRANSACTIONS_TO_KEEP: '10' },
      );
    });
    afterAll(async () => {
      await testApp?.app.close();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    });

    async function deadlocks(): Promise<number> {
      await admin.query('SELECT pg_stat_clear_snapshot()');
      const result = await admin.query<{ deadlocks: string }>(
        'SELECT deadlocks FROM pg_stat_database WHERE datname = $1',
        [name],
      );
      return Number(result.rows[0].deadlocks);
    }

    it('lets concurrent writers to one flow all succeed, without a deadlock, trimmed exactly', async () => {
      const alice = await createUser(testApp);
      const flowId = randomUUID();
      const other = randomUUID();
      const before = await deadlocks();

      const writers = Array.from({ length: 12 }, (_, w) =>
        testApp.api.post(TRANSACTIONS, {
          key: alice.key,
          // Every batch also touches a second flow, listed first or second depending on the writer.
          body: Array.from({ length: 6 }, (_, i) =>
            transactionInput({
              flow_id: (w + i) % 2 === 0 ? flowId : other,
              timestamp: at(w * 10 + i),
            }),
          ),
        }),
      );
      const statuses = (await Promise.all(writers)).map((response) => response.status);

      expect(statuses).toEqual(Array.from({ length: 12 }, () => 201));
      expect(await countTransactions(testApp, flowId)).toBe(10);
      expect(await countTransactions(testApp, other)).toBe(10);
      // Statistics reach pg_stat_database asynchronously, within about half a second.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(await deadlocks()).toBe(before);
    });
  },
);
