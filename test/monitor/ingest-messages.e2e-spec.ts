import { randomUUID } from 'node:crypto';
import { ingestSession, messageInput } from '../factories/messages';
import { createUser } from '../factories/users';
import { describeEachDatabase, TestApp } from '../support/test-app';
import { MESSAGE_FIELDS } from '../support/contract';

const MESSAGES = '/api/v1/monitor/messages';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RESPONSE_FIELDS = MESSAGE_FIELDS;

/** What the database holds, read past the API. */
async function countRows(testApp: TestApp, table: 'message' | 'flow'): Promise<number> {
  const [row] = await testApp.dataSource.query<{ count: string | number }[]>(
    `SELECT COUNT(*) AS "count" FROM "${table}"`,
  );
  return Number(row.count);
}

describeEachDatabase(
  'POST /api/v1/monitor/messages',
  (ctx) => {
    async function listAll(key: string): Promise<any[]> {
      const response = await ctx().api.get(MESSAGES, { key });
      expect(response.status).toBe(200);
      return response.body;
    }

    async function flowOwner(flowId: string): Promise<string | undefined> {
      // flowId comes from randomUUID(): safe to inline, and the same SQL on both databases.
      const rows = await ctx().dataSource.query<{ user_id: string }[]>(
        `SELECT "user_id" FROM "flow" WHERE "id" = '${flowId}'`,
      );
      return rows[0]?.user_id;
    }

    describe('201', () => {
      it("answers the stored messages in the input's order, fields in the contract's order", async () => {
        const alice = await createUser(ctx());
        const flowId = randomUUID();
        // Deliberately not in timestamp order: the answer follows the input, not the clock.
        const body = [
          messageInput({ flow_id: flowId, text: 'third', timestamp: '2026-03-03T00:00:00.000Z' }),
          messageInput({ flow_id: flowId, text: 'first', timestamp: '2026-01-01T00:00:00.000Z' }),
          messageInput({ flow_id: flowId, text: 'second', timestamp: '2026-02-02T00:00:00.000Z' }),
        ];

        const response = await ctx().api.post(MESSAGES, { key: alice.key, body });

        expect(response.status).toBe(201);
        expect(response.headers.get('content-type')).toContain('application/json');
        expect(response.body.map((m: any) => m.text)).toEqual(['third', 'first', 'second']);
        for (const message of response.body) {
          expect(Object.keys(message)).toEqual(RESPONSE_FIELDS);
        }
        const stored = await listAll(alice.key);
        expect(stored.map((m) => m.text)).toEqual(['first', 'second', 'third']);
        expect([...stored].sort((a, b) => a.text.localeCompare(b.text))).toEqual(
          [...response.body].sort((a: any, b: any) => a.text.localeCompare(b.text)),
        );
      });

      it('fills in the defaults and generates uuid ids', async () => {
        const alice = await createUser(ctx());
        const input = messageInput({ text: '' });

        const response = await ctx().api.post(MESSAGES, { key: alice.key, body: [input] });

        expect(response.status).toBe(201);
        const [message] = response.body;
        expect(message).toEqual({
          id: expect.stringMatching(UUID),
          flow_id: input.flow_id,
          timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
          sender: 'User',
          sender_name: 'User',
          session_id: 'session-1',
          context_id: null,
          text: '',
          files: [],
          edit: false,
          properties: {},
          category: 'message',
          content_blocks: [],
          duration: null,
          session_metadata: null,
        });
        expect(await listAll(alice.key)).toEqual([message]);
      });

      it('gives every message of a batch its own generated id', async () => {
        const alice = await createUser(ctx());
        const body = Array.from({ length: 5 }, () => messageInput());

        const response = await ctx().api.post(MESSAGES, { key: alice.key, body });

        expect(response.status).toBe(201);
        const ids = response.body.map((m: any) => m.id);
        expect(ids.every((id: string) => UUID.test(id))).toBe(true);
        expect(new Set(ids).size).toBe(5);
      });

      it('keeps a given id and every given field, stored and returned as given', async () => {
        const alice = await createUser(ctx());
        const id = randomUUID();
        const input = messageInput({
          id,
          session_id: 'chat 🚀 ünïcode',
          context_id: 'context 🚀 "7"',
          sender: 'Machine',
          sender_name: 'AI',
          text: 'Hi "there"\n\ttabs, newlines and ünïcode 🚀',
          files: ['a.txt', 'images/b.png'],
          edit: true,
          error: false,
          properties: { source: 'web', nested: { list: [1, 2.5, null, true], empty: {} } },
          category: 'tool',
          content_blocks: [
            { type: 'text', text: 'x' },
            { type: 'code', lines: [1, 2] },
          ],
          duration: 1.25,
          session_metadata: { channel: 'web', user: { plan: 'pro', tags: ['a', 1, null] } },
          timestamp: '2026-11-24T13:09:00.123Z',
        });

        const response = await ctx().api.post(MESSAGES, { key: alice.key, body: [input] });

        expect(response.status).toBe(201);
        const { error: _error, ...expected } = input;
        expect(response.body).toEqual([expected]);
        expect(await listAll(alice.key)).toEqual([expected]);
      });

      it.each([
        ['2026-11-24T13:09:00.123Z', '2026-11-24T13:09:00.123Z'],
        ['2026-11-24T13:09:00Z', '2026-11-24T13:09:00.000Z'],
        ['2026-11-24T15:09:00.5+02:00', '2026-11-24T13:09:00.500Z'],
        ['2026-11-24T08:39:00.123456-04:30', '2026-11-24T13:09:00.123Z'],
        ['2026-01-01T00:30:00+01:00', '2025-12-31T23:30:00.000Z'],
      ])(
        'normalizes the timestamp %s to %s (RFC 3339, UTC, milliseconds)',
        async (given, stored) => {
          const alice = await createUser(ctx());

          const response = await ctx().api.post(MESSAGES, {
            key: alice.key,
            body: [messageInput({ timestamp: given })],
          });

          expect(response.status).toBe(201);
          expect(response.body[0].timestamp).toBe(stored);
          expect((await listAll(alice.key))[0].timestamp).toBe(stored);
        },
      );

      it.each([[0], [-2.5], [1e-7], [123456789.123456], [1.7976931348623157e308], [42]])(
        'stores the duration %j exactly as sent, and reads it back so',
        async (duration) => {
          const alice = await createUser(ctx());

          const response = await ctx().api.post(MESSAGES, {
            key: alice.key,
            body: [messageInput({ duration })],
          });

          expect(response.status).toBe(201);
          expect(response.body[0].duration).toBe(duration);
          expect((await listAll(alice.key))[0].duration).toBe(duration);
          const [row] = await ctx().dataSource.query<{ duration: number }[]>(
            'SELECT "duration" FROM "message"',
          );
          expect(Number(row.duration)).toBe(duration);
        },
      );

      it('takes null for duration and session_metadata', async () => {
        const alice = await createUser(ctx());

        const response = await ctx().api.post(MESSAGES, {
          key: alice.key,
          body: [messageInput({ duration: null, session_metadata: null })],
        });

        expect(response.status).toBe(201);
        expect(response.body[0]).toMatchObject({ duration: null, session_metadata: null });
        expect((await listAll(alice.key))[0]).toMatchObject({
          duration: null,
          session_metadata: null,
        });
      });

      it('stores ids in lowercase', async () => {
        const alice = await createUser(ctx());
        const id = randomUUID();
        const flowId = randomUUID();

        const response = await ctx().api.post(MESSAGES, {
          key: alice.key,
          body: [messageInput({ id: id.toUpperCase(), flow_id: flowId.toUpperCase() })],
        });

        expect(response.status).toBe(201);
        expect(response.body[0]).toMatchObject({ id, flow_id: flowId });
        expect(await flowOwner(flowId)).toBe(alice.id);
      });

      it("makes a flow id never seen before the caller's flow", async () => {
        const alice = await createUser(ctx());
        const bob = await createUser(ctx());
        const flowId = randomUUID();

        const first = await ctx().api.post(MESSAGES, {
          key: alice.key,
          body: [messageInput({ flow_id: flowId }), messageInput({ flow_id: flowId })],
        });
        const again = await ctx().api.post(MESSAGES, {
          key: alice.key,
          body: [messageInput({ flow_id: flowId })],
        });

        expect(first.status).toBe(201);
        expect(again.status).toBe(201);
        expect(await flowOwner(flowId)).toBe(alice.id);
        expect(await countRows(ctx(), 'flow')).toBe(1);
        expect(await listAll(alice.key)).toHaveLength(3);
        expect(await listAll(bob.key)).toEqual([]);
      });

      it('accepts 1000 messages in one request', async () => {
        const alice = await createUser(ctx());
        const flowId = randomUUID();
        const body = Array.from({ length: 1000 }, (_, index) =>
          messageInput({ flow_id: flowId, text: `message ${index}` }),
        );

        const response = await ctx().api.post(MESSAGES, { key: alice.key, body });

        expect(response.status).toBe(201);
        expect(response.body).toHaveLength(1000);
        expect(response.body.map((m: any) => m.text)).toEqual(body.map((m) => m.text));
        expect(await countRows(ctx(), 'message')).toBe(1000);
      });
    });

    describe('404 and 409: refused, and nothing written', () => {
      it("answers 404 for another user's flow, without writing the rest of the batch", async () => {
        const alice = await createUser(ctx());
        const mallory = await createUser(ctx());
        const aliceFlow = randomUUID();
        await ingestSession(ctx(), alice.key, {
          sessionId: 'default',
          flowId: aliceFlow,
          count: 2,
        });
        const malloryFlow = randomUUID();

        const response = await ctx().api.post(MESSAGES, {
          key: mallory.key,
          body: [
            messageInput({ flow_id: malloryFlow, session_id: 'default' }),
            messageInput({ flow_id: aliceFlow, session_id: 'default' }),
          ],
        });

        expect(response.status).toBe(404);
        expect(response.body).toEqual({ detail: 'Flow not found' });
        expect(await countRows(ctx(), 'message')).toBe(2);
        // Not even the new flow of the refused batch was claimed.
        expect(await flowOwner(malloryFlow)).toBeUndefined();
        expect(await countRows(ctx(), 'flow')).toBe(1);
        expect(await flowOwner(aliceFlow)).toBe(alice.id);
        expect(await listAll(mallory.key)).toEqual([]);
      });

      it('answers 409 for an id that already exists, and writes none of the batch', async () => {
        const alice = await createUser(ctx());
        const [existing] = await ingestSession(ctx(), alice.key, { sessionId: 's', count: 1 });
        const fresh = randomUUID();

        const response = await ctx().api.post(MESSAGES, {
          key: alice.key,
          body: [
            messageInput({ id: fresh, session_id: 's' }),
            messageInput({ id: existing.id, session_id: 's', text: 'overwrite?' }),
          ],
        });

        expect(response.status).toBe(409);
        expect(response.body).toEqual({ detail: `Message already exists: ${existing.id}` });
        expect(await listAll(alice.key)).toEqual([existing]);
        expect(await countRows(ctx(), 'message')).toBe(1);
      });

      it('answers 409 for an existing id given in uppercase', async () => {
        const alice = await createUser(ctx());
        const [existing] = await ingestSession(ctx(), alice.key, { sessionId: 's', count: 1 });

        const response = await ctx().api.post(MESSAGES, {
          key: alice.key,
          body: [messageInput({ id: existing.id.toUpperCase() })],
        });

        expect(response.status).toBe(409);
        expect(response.body).toEqual({ detail: `Message already exists: ${existing.id}` });
        expect(await countRows(ctx(), 'message')).toBe(1);
      });

      it('answers 422 for the same id twice in one batch, and writes nothing', async () => {
        const alice = await createUser(ctx());
        const id = randomUUID();

        const response = await ctx().api.post(MESSAGES, {
          key: alice.key,
          body: [messageInput(), messageInput({ id }), messageInput({ id })],
        });

        expect(response.status).toBe(422);
        expect(response.body.detail).toHaveLength(1);
        expect(response.body.detail[0]).toMatchObject({
          type: 'value_error',
          loc: ['body', 2, 'id'],
          input: id,
        });
        expect(typeof response.body.detail[0].msg).toBe('string');
        expect(await countRows(ctx(), 'message')).toBe(0);
        expect(await countRows(ctx(), 'flow')).toBe(0);
      });
    });

    describe('validation: 422 in FastAPI shape, and nothing written', () => {
      const flowId = randomUUID();
      const valid = () => messageInput({ flow_id: flowId });
      const cases: [string, unknown, object][] = [
        [
          'an empty list',
          [],
          {
            type: 'too_short',
            loc: ['body'],
            msg: 'List should have at least 1 item after validation, not 0',
            input: [],
          },
        ],
        [
          'a list of 1001 messages',
          Array.from({ length: 1001 }, valid),
          {
            type: 'too_long',
            loc: ['body'],
            msg: 'List should have at most 1000 items after validation, not 1001',
          },
        ],
        [
          'an object instead of a list',
          valid(),
          { type: 'list_type', loc: ['body'], msg: 'Input should be a valid list' },
        ],
        [
          'a string instead of a list',
          'hello',
          { type: 'list_type', loc: ['body'], input: 'hello' },
        ],
        [
          'an item that is not an object',
          [valid(), 'hello'],
          { type: 'dict_type', loc: ['body', 1], input: 'hello' },
        ],
        [
          'a missing session_id',
          [{ ...valid(), session_id: undefined }],
          { type: 'missing', loc: ['body', 0, 'session_id'], msg: 'Field required', input: null },
        ],
        [
          'a missing flow_id',
          [valid(), { ...valid(), flow_id: undefined }],
          { type: 'missing', loc: ['body', 1, 'flow_id'], msg: 'Field required', input: null },
        ],
        [
          'a missing text',
          [{ ...valid(), text: undefined }],
          { type: 'missing', loc: ['body', 0, 'text'], input: null },
        ],
        [
          'a number for text',
          [{ ...valid(), text: 42 }],
          {
            type: 'string_type',
            loc: ['body', 0, 'text'],
            msg: 'Input should be a valid string',
            input: 42,
          },
        ],
        [
          'a string for edit',
          [{ ...valid(), edit: 'true' }],
          { type: 'bool_type', loc: ['body', 0, 'edit'], input: 'true' },
        ],
        [
          'a string for files',
          [{ ...valid(), files: 'a.txt' }],
          { type: 'list_type', loc: ['body', 0, 'files'], input: 'a.txt' },
        ],
        [
          'a number among files',
          [{ ...valid(), files: ['a.txt', 7] }],
          { type: 'string_type', loc: ['body', 0, 'files', 1], input: 7 },
        ],
        [
          'a list holding a number for sender (the whole value is wrong, not an item)',
          [{ ...valid(), sender: ['a', 1] }],
          { type: 'string_type', loc: ['body', 0, 'sender'], input: ['a', 1] },
        ],
        [
          'a list for properties',
          [{ ...valid(), properties: ['x'] }],
          { type: 'dict_type', loc: ['body', 0, 'properties'], input: ['x'] },
        ],
        [
          'a number for context_id',
          [{ ...valid(), context_id: 7 }],
          { type: 'string_type', loc: ['body', 0, 'context_id'], input: 7 },
        ],
        [
          'a context_id over 255 characters',
          [{ ...valid(), context_id: 'c'.repeat(256) }],
          { type: 'string_too_long', loc: ['body', 0, 'context_id'] },
        ],
        [
          'a string for duration',
          [{ ...valid(), duration: '1.5' }],
          {
            type: 'float_type',
            loc: ['body', 0, 'duration'],
            msg: 'Input should be a valid number',
            input: '1.5',
          },
        ],
        [
          'a boolean for duration',
          [{ ...valid(), duration: true }],
          { type: 'float_type', loc: ['body', 0, 'duration'], input: true },
        ],
        [
          'an object for duration',
          [{ ...valid(), duration: { seconds: 1 } }],
          { type: 'float_type', loc: ['body', 0, 'duration'], input: { seconds: 1 } },
        ],
        [
          'a list for session_metadata',
          [{ ...valid(), session_metadata: [{ a: 1 }] }],
          { type: 'dict_type', loc: ['body', 0, 'session_metadata'], input: [{ a: 1 }] },
        ],
        [
          'a string for session_metadata',
          [{ ...valid(), session_metadata: '{"a":1}' }],
          {
            type: 'dict_type',
            loc: ['body', 0, 'session_metadata'],
            msg: 'Input should be a valid dictionary',
            input: '{"a":1}',
          },
        ],
        [
          'a string among content_blocks',
          [{ ...valid(), content_blocks: [{}, 'x'] }],
          { type: 'dict_type', loc: ['body', 0, 'content_blocks', 1], input: 'x' },
        ],
        [
          'an unknown field',
          [valid(), { ...valid(), colour: 'blue' }],
          {
            type: 'extra_forbidden',
            loc: ['body', 1, 'colour'],
            msg: 'Extra inputs are not permitted',
            input: 'blue',
          },
        ],
        [
          'a flow_id that is not a uuid',
          [{ ...valid(), flow_id: 'not-a-uuid' }],
          { type: 'uuid_parsing', loc: ['body', 0, 'flow_id'], input: 'not-a-uuid' },
        ],
        [
          'an id that is not a uuid',
          [{ ...valid(), id: '1234' }],
          { type: 'uuid_parsing', loc: ['body', 0, 'id'], input: '1234' },
        ],
        [
          'a timestamp that is not RFC 3339',
          [{ ...valid(), timestamp: 'yesterday' }],
          { type: 'datetime_parsing', loc: ['body', 0, 'timestamp'], input: 'yesterday' },
        ],
        [
          'a day that does not exist',
          [{ ...valid(), timestamp: '2026-02-30T00:00:00Z' }],
          { type: 'datetime_parsing', loc: ['body', 0, 'timestamp'] },
        ],
        [
          'a number for timestamp',
          [{ ...valid(), timestamp: 1764000000 }],
          { type: 'string_type', loc: ['body', 0, 'timestamp'], input: 1764000000 },
        ],
        [
          'an empty session_id',
          [{ ...valid(), session_id: '' }],
          { type: 'string_too_short', loc: ['body', 0, 'session_id'], input: '' },
        ],
        [
          'a session_id over 255 characters',
          [{ ...valid(), session_id: 's'.repeat(256) }],
          { type: 'string_too_long', loc: ['body', 0, 'session_id'] },
        ],
        [
          // validator.js does not count variation selectors; PostgreSQL's varchar(255) does.
          'a sender of 400 code points, half of them variation selectors',
          [{ ...valid(), sender: 'a\uFE0F'.repeat(200) }],
          { type: 'string_too_long', loc: ['body', 0, 'sender'] },
        ],
        [
          'a newline in session_id',
          [valid(), { ...valid(), session_id: 'a\nb' }],
          { type: 'value_error', loc: ['body', 1, 'session_id'], input: 'a\nb' },
        ],
        [
          'a DEL character in session_id',
          [{ ...valid(), session_id: 'a\u007fb' }],
          { type: 'value_error', loc: ['body', 0, 'session_id'], input: 'a\u007fb' },
        ],
        [
          'a NUL character in text (PostgreSQL cannot store it)',
          [{ ...valid(), text: 'a\u0000b' }],
          { type: 'value_error', loc: ['body', 0, 'text'] },
        ],
      ];

      it.each(cases)('%s', async (_label, body, issue) => {
        const alice = await createUser(ctx());

        const response = await ctx().api.post(MESSAGES, { key: alice.key, body });

        expect(response.status).toBe(422);
        expect(response.headers.get('content-type')).toContain('application/json');
        expect(response.body.detail).toHaveLength(1);
        expect(response.body.detail[0]).toMatchObject(issue);
        expect(Object.keys(response.body.detail[0]).sort()).toEqual([
          'input',
          'loc',
          'msg',
          'type',
        ]);
        expect(typeof response.body.detail[0].msg).toBe('string');
        expect(await countRows(ctx(), 'message')).toBe(0);
        expect(await countRows(ctx(), 'flow')).toBe(0);
      });

      it('reports every wrong field of every item', async () => {
        const alice = await createUser(ctx());

        const response = await ctx().api.post(MESSAGES, {
          key: alice.key,
          body: [{ ...valid(), sender: 1 }, valid(), { ...valid(), flow_id: 'x', session_id: '' }],
        });

        expect(response.status).toBe(422);
        expect(
          response.body.detail.map((issue: any) => `${issue.loc.join('.')}:${issue.type}`).sort(),
        ).toEqual([
          'body.0.sender:string_type',
          'body.2.flow_id:uuid_parsing',
          'body.2.session_id:string_too_short',
        ]);
      });

      it('writes nothing when one message of a large batch is wrong', async () => {
        const alice = await createUser(ctx());
        const body: unknown[] = Array.from({ length: 500 }, valid);
        body[499] = { ...valid(), edit: 'no' };

        const response = await ctx().api.post(MESSAGES, { key: alice.key, body });

        expect(response.status).toBe(422);
        expect(response.body.detail[0]).toMatchObject({ loc: ['body', 499, 'edit'] });
        expect(await countRows(ctx(), 'message')).toBe(0);
        expect(await listAll(alice.key)).toEqual([]);
      });

      it.each([['1e400'], ['-1e999']])(
        'answers 422 finite_number for a duration of %s (beyond a double), and writes nothing',
        async (duration) => {
          const alice = await createUser(ctx());
          const message = JSON.stringify(messageInput());

          const response = await ctx().api.post(MESSAGES, {
            key: alice.key,
            rawBody: `[${message.slice(0, -1)},"duration":${duration}}]`,
          });

          expect(response.status).toBe(422);
          expect(response.body.detail).toHaveLength(1);
          expect(response.body.detail[0]).toMatchObject({
            type: 'finite_number',
            loc: ['body', 0, 'duration'],
            msg: 'Input should be a finite number',
          });
          expect(await countRows(ctx(), 'message')).toBe(0);
        },
      );

      it('answers malformed JSON with json_invalid', async () => {
        const alice = await createUser(ctx());

        const response = await ctx().api.post(MESSAGES, {
          key: alice.key,
          rawBody: '[{"flow_id": "x", ',
        });

        expect(response.status).toBe(422);
        expect(response.body.detail).toHaveLength(1);
        expect(response.body.detail[0]).toMatchObject({ type: 'json_invalid', loc: ['body'] });
        expect(typeof response.body.detail[0].msg).toBe('string');
        expect(await countRows(ctx(), 'message')).toBe(0);
      });

      it('answers a request without a body with "missing"', async () => {
        const alice = await createUser(ctx());

        const response = await ctx().api.post(MESSAGES, { key: alice.key });

        expect(response.status).toBe(422);
        expect(response.body.detail).toEqual([
          { type: 'missing', loc: ['body'], msg: 'Field required', input: null },
        ]);
      });
    });

    it('answers 413 in the error envelope for a body over 10 MiB, and writes nothing', async () => {
      const alice = await createUser(ctx());
      const text = 'x'.repeat(1024 * 1024);
      const body = Array.from({ length: 11 }, () => messageInput({ text }));

      const response = await ctx().api.post(MESSAGES, { key: alice.key, body });

      expect(response.status).toBe(413);
      expect(Object.keys(response.body)).toEqual(['detail']);
      expect(typeof response.body.detail).toBe('string');
      expect(await countRows(ctx(), 'message')).toBe(0);
    });

    it('accepts a body just under the limit', async () => {
      const alice = await createUser(ctx());
      const text = 'x'.repeat(1024 * 1024);
      const body = Array.from({ length: 9 }, () => messageInput({ text }));

      const response = await ctx().api.post(MESSAGES, { key: alice.key, body });

      expect(response.status).toBe(201);
      expect(await countRows(ctx(), 'message')).toBe(9);
    });

    describe('authentication comes first', () => {
      it('answers 403 without a key, even for an invalid body, and writes nothing', async () => {
        for (const options of [{ body: [] }, { body: [messageInput()] }, { rawBody: '[{' }]) {
          const response = await ctx().api.post(MESSAGES, options);
          expect(response.status).toBe(403);
          expect(response.body).toEqual({ detail: 'An API key must be passed as query or header' });
        }
        expect(await countRows(ctx(), 'message')).toBe(0);
      });

      it('answers 403 for an unknown key, even for an invalid body', async () => {
        const response = await ctx().api.post(MESSAGES, {
          key: 'sk-not-a-real-key-000000000000000000000000',
          body: [{ colour: 'blue' }],
        });

        expect(response.status).toBe(403);
        expect(response.body).toEqual({ detail: 'Invalid or missing API key' });
      });
    });
  },
  { pgbouncer: true },
);
