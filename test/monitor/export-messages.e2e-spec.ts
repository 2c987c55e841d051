import { randomUUID } from 'node:crypto';
import { ingestSession, messageInput } from '../factories/messages';
import { createUser, TestUser } from '../factories/users';
import { describeEachDatabase } from '../support/test-app';
import { MESSAGE_FIELDS } from '../support/contract';

const MESSAGES = '/api/v1/monitor/messages';
const EXPORT = '/api/v1/monitor/messages/export';
const FIELDS = MESSAGE_FIELDS;
const BASE = Date.UTC(2026, 10, 24, 13, 0, 0);

const at = (seconds: number) => new Date(BASE + seconds * 1000).toISOString();

interface ExportResponse {
  status: number;
  contentType: string | null;
  text: string;
  lines: any[];
}

describeEachDatabase(
  'GET /api/v1/monitor/messages/export',
  (ctx) => {
    /** The raw NDJSON answer (ApiClient would try to parse it as one JSON document). */
    async function exportMessages(
      key: string | undefined,
      query: Record<string, string> = {},
    ): Promise<ExportResponse> {
      const url = new URL(EXPORT, ctx().api.baseUrl);
      for (const [name, value] of Object.entries(query)) {
        url.searchParams.append(name, value);
      }
      const response = await fetch(url, { headers: key ? { 'x-api-key': key } : {} });
      const text = await response.text();
      const contentType = response.headers.get('content-type');
      const lines =
        response.status === 200 && text !== ''
          ? text
              .slice(0, -1)
              .split('\n')
              .map((line) => JSON.parse(line) as unknown)
          : [];
      return { status: response.status, contentType, text, lines };
    }

    async function listMessages(key: string, query: Record<string, string> = {}): Promise<any[]> {
      const response = await ctx().api.get(MESSAGES, { key, query });
      expect(response.status).toBe(200);
      return response.body;
    }

    async function ingest(key: string, inputs: object[]): Promise<any[]> {
      const response = await ctx().api.post(MESSAGES, { key, body: inputs });
      expect(response.status).toBe(201);
      return response.body;
    }

    async function seed(user: TestUser): Promise<{ messages: any[]; flows: string[] }> {
      const flows = [randomUUID(), randomUUID()];
      const sessions = ['alpha', 'beta', 'gamma'];
      const messages = await ingest(
        user.key,
        Array.from({ length: 18 }, (_, i) => {
          const machine = i % 4 >= 2;
          return messageInput({
            flow_id: flows[i % 2],
            session_id: sessions[i % 3],
            sender: machine ? 'Machine' : 'User',
            sender_name: machine ? 'AI' : 'User',
            text: `message ${i}`,
            // Inserted out of order, with pairs sharing a timestamp.
            timestamp: at(Math.floor((17 - i) / 2)),
            properties: { index: i, nested: { tags: ['a', 'b'] } },
            files: i % 5 === 0 ? ['report.pdf'] : [],
            content_blocks: i % 6 === 0 ? [{ title: 'tool', contents: [{ type: 'text' }] }] : [],
            duration: i % 3 === 0 ? null : i / 8,
            session_metadata: i % 4 === 0 ? null : { channel: sessions[i % 3], turn: i },
          });
        }),
      );
      return { messages, flows };
    }

    it('answers NDJSON: one MessageResponse a line, fields in contract order, ordered by timestamp then id', async () => {
      const alice = await createUser(ctx());
      const { messages } = await seed(alice);

      const response = await exportMessages(alice.key);

      expect(response.status).toBe(200);
      expect(response.contentType).toMatch(/^application\/x-ndjson(;|$)/);
      expect(response.text.endsWith('}\n')).toBe(true);
      expect(response.text.split('\n')).toHaveLength(messages.length + 1);
      for (const line of response.lines) {
        expect(Object.keys(line)).toEqual(FIELDS);
      }
      const expected = [...messages].sort((a, b) =>
        a.timestamp === b.timestamp ? (a.id < b.id ? -1 : 1) : a.timestamp < b.timestamp ? -1 : 1,
      );
      expect(response.lines).toEqual(expected);
      expect(response.lines).toEqual(await listMessages(alice.key));
      const seventh = response.lines.find((line: any) => line.text === 'message 7');
      expect(seventh).toMatchObject({
        duration: 0.875,
        session_metadata: { channel: 'beta', turn: 7 },
      });
    });

    it('keeps texts with newlines and other line separators on one line each', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      const texts = [
        'first\nsecond',
        'carriage\r\nreturn',
        'separator\u2028here',
        '{"a":1}\n{"b":2}',
        '',
      ];
      const stored = await ingest(
        alice.key,
        texts.map((text, i) => messageInput({ flow_id: flowId, text, timestamp: at(i) })),
      );

      const response = await exportMessages(alice.key);

      expect(response.status).toBe(200);
      expect(response.lines).toEqual(stored);
      expect(response.lines.map((line) => line.text)).toEqual(texts);
    });

    it('applies the same filters and ordering as GET messages', async () => {
      const alice = await createUser(ctx());
      const { messages, flows } = await seed(alice);
      const queries: Record<string, string>[] = [
        { session_id: 'beta' },
        { flow_id: flows[1] },
        { flow_id: flows[0].toUpperCase() },
        { sender: 'Machine' },
        { sender_name: 'AI' },
        { session_id: 'alpha', flow_id: flows[0], sender: 'User' },
        { order: 'desc' },
        { order_by: 'sender', order: 'desc' },
        { order_by: 'session_id' },
        { order_by: 'id' },
        { order_by: 'flow_id', order: 'desc' },
        { session_id: 'no such session' },
      ];

      for (const query of queries) {
        const response = await exportMessages(alice.key, query);
        expect(response.status).toBe(200);
        expect(response.lines).toEqual(await listMessages(alice.key, query));
      }

      const beta = await exportMessages(alice.key, { session_id: 'beta', order: 'desc' });
      const expected = messages
        .filter((m) => m.session_id === 'beta')
        .sort((a, b) =>
          a.timestamp === b.timestamp ? (a.id < b.id ? 1 : -1) : a.timestamp < b.timestamp ? 1 : -1,
        );
      expect(beta.lines).toEqual(expected);
      expect(expected).toHaveLength(6);
    });

    it('answers 200 with an empty body when nothing matches', async () => {
      const alice = await createUser(ctx());
      await seed(alice);
      const empty = await createUser(ctx());

      for (const [key, query] of [
        [empty.key, {}],
        [alice.key, { session_id: 'missing' }],
        [alice.key, { flow_id: randomUUID() }],
      ] as const) {
        const response = await exportMessages(key, query);
        expect(response.status).toBe(200);
        expect(response.contentType).toMatch(/^application\/x-ndjson(;|$)/);
        expect(response.text).toBe('');
      }
    });

    it("exports only the caller's messages, even in a session or flow of the same name", async () => {
      const alice = await createUser(ctx());
      const bob = await createUser(ctx());
      const { messages: aliceMessages, flows } = await seed(alice);
      const bobMessages = await ingest(bob.key, [
        messageInput({ session_id: 'alpha', text: 'bob 1', timestamp: at(1) }),
        messageInput({ session_id: 'alpha', text: 'bob 2', timestamp: at(2) }),
      ]);

      const bobExport = await exportMessages(bob.key);
      expect(bobExport.lines).toEqual(bobMessages);
      const bobAlpha = await exportMessages(bob.key, { session_id: 'alpha' });
      expect(bobAlpha.lines).toEqual(bobMessages);
      const bobInAliceFlow = await exportMessages(bob.key, { flow_id: flows[0] });
      expect(bobInAliceFlow.status).toBe(200);
      expect(bobInAliceFlow.text).toBe('');

      const aliceExport = await exportMessages(alice.key);
      expect(aliceExport.lines).toHaveLength(aliceMessages.length);
      const bobIds = new Set(bobMessages.map((m) => m.id));
      expect(aliceExport.lines.some((m) => bobIds.has(m.id))).toBe(false);
    });

    it('answers 403 without a key or with an unknown one, before validating the filters', async () => {
      const alice = await createUser(ctx());
      await seed(alice);

      for (const query of [{}, { flow_id: 'not-a-uuid' }] as Record<string, string>[]) {
        const missing = await exportMessages(undefined, query);
        expect(missing.status).toBe(403);
        expect(JSON.parse(missing.text)).toEqual({
          detail: 'An API key must be passed as query or header',
        });
        const unknown = await exportMessages('sk-unknown-key-0123456789abcdefghijklmnop', query);
        expect(unknown.status).toBe(403);
        expect(JSON.parse(unknown.text)).toEqual({ detail: 'Invalid or missing API key' });
      }
    });

    it('accepts the key in the query string', async () => {
      const alice = await createUser(ctx());
      const { messages } = await seed(alice);

      const response = await exportMessages(undefined, { 'x-api-key': alice.key });

      expect(response.status).toBe(200);
      expect(response.lines).toHaveLength(messages.length);
    });

    it('answers an invalid filter with a 422 in FastAPI shape', async () => {
      const alice = await createUser(ctx());
      await seed(alice);
      const cases: [Record<string, string>, string, string][] = [
        [{ flow_id: 'not-a-uuid' }, 'flow_id', 'uuid_parsing'],
        [{ session_id: '' }, 'session_id', 'string_too_short'],
        [{ session_id: 'x'.repeat(256) }, 'session_id', 'string_too_long'],
        [{ session_id: 'a\u0001b' }, 'session_id', 'value_error'],
        [{ sender: 'x'.repeat(256) }, 'sender', 'string_too_long'],
        [{ order_by: 'password' }, 'order_by', 'value_error'],
        [{ order: 'sideways' }, 'order', 'value_error'],
      ];

      for (const [query, field, type] of cases) {
        const response = await exportMessages(alice.key, query);
        expect(response.status).toBe(422);
        expect(response.contentType).toContain('application/json');
        const body = JSON.parse(response.text);
        expect(body.detail).toEqual([
          expect.objectContaining({ type, loc: ['query', field], input: query[field] }),
        ]);
      }
    });

    it('exports 20,000 messages complete and in order', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      const stored = await ingestSession(ctx(), alice.key, {
        sessionId: 'big',
        flowId,
        count: 20_000,
      });
      const bob = await createUser(ctx());
      await ingestSession(ctx(), bob.key, { sessionId: 'big', count: 10 });

      const response = await exportMessages(alice.key);

      expect(response.status).toBe(200);
      expect(response.lines).toHaveLength(20_000);
      expect(response.lines.map((m) => m.id)).toEqual(stored.map((m) => m.id));
      expect(response.lines[0]).toEqual(stored[0]);
      expect(response.lines[19_999]).toEqual(stored[19_999]);
      expect(response.lines[12_345]).toEqual(stored[12_345]);

      const descending = await exportMessages(alice.key, { session_id: 'big', order: 'desc' });
      expect(descending.lines.map((m) => m.id)).toEqual(stored.map((m) => m.id).reverse());
    });
  },
  { pgbouncer: true },
);
