import { randomUUID } from 'node:crypto';
import { ingestSession, messageInput } from '../factories/messages';
import { createUser } from '../factories/users';
import { ADMIN_KEY, describeEachDatabase } from '../support/test-app';

const MESSAGES = '/api/v1/monitor/messages';
/** Later messages first, and two pairs sharing a minute, so that order and tie-break both show. */
const SEED_MINUTES = [11, 10, 9, 7, 7, 6, 5, 3, 3, 2, 1, 0];

/** JavaScript's < on strings is code-unit order; the values below are plain ASCII, so byte order. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The contract's order: by the column, then timestamp, then id, ascending. */
function sortedBy(messages: any[], column: string): any[] {
  return [...messages].sort(
    (a, b) =>
      compare(a[column], b[column]) || compare(a.timestamp, b.timestamp) || compare(a.id, b.id),
  );
}

describeEachDatabase(
  'GET /api/v1/monitor/messages',
  (ctx) => {
    async function list(key: string, query: Record<string, string | string[]> = {}) {
      return ctx().api.get(MESSAGES, { key, query });
    }

    async function post(key: string, body: unknown[]): Promise<any[]> {
      const response = await ctx().api.post(MESSAGES, { key, body });
      expect(response.status).toBe(201);
      return response.body;
    }

    /**
     * Twelve messages over two flows, two sessions, two senders and three categories, stored out of
     * timestamp order, some sharing a timestamp.
     */
    async function seed(key: string) {
      const flowA = randomUUID();
      const flowB = randomUUID();
      const body = Array.from({ length: 12 }, (_, index) =>
        messageInput({
          flow_id: index % 2 === 0 ? flowA : flowB,
          session_id: index % 3 === 0 ? 'session-x' : 'session-y',
          sender: index % 4 < 2 ? 'user' : 'machine',
          sender_name: index % 4 < 2 ? 'user' : 'ai',
          category: ['message', 'tool', 'error'][index % 3],
          text: `message ${index}`,
          timestamp: `2026-05-01T10:${String(SEED_MINUTES[index]).padStart(2, '0')}:00.000Z`,
        }),
      );
      const stored = await post(key, body);
      return { flowA, flowB, stored };
    }

    it("answers the caller's messages ordered by timestamp, then id", async () => {
      const alice = await createUser(ctx());
      const { stored } = await seed(alice.key);

      const response = await list(alice.key);

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(response.body).toHaveLength(12);
      expect(response.body).toEqual(sortedBy(stored, 'timestamp'));
      // The seed really has ties on timestamp, so the id tie-break is exercised.
      const timestamps = response.body.map((m: any) => m.timestamp);
      expect(new Set(timestamps).size).toBeLessThan(12);
    });

    it('breaks equal timestamps by id whatever the insertion order', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      const ids = Array.from({ length: 6 }, () => randomUUID());
      const timestamp = '2026-11-24T13:09:00.123Z';
      await post(
        alice.key,
        ids.map((id) => messageInput({ id, flow_id: flowId, timestamp })),
      );

      const response = await list(alice.key);

      expect(response.status).toBe(200);
      expect(response.body.map((m: any) => m.id)).toEqual([...ids].sort());
    });

    it('answers 200 with an empty list when there is nothing', async () => {
      const alice = await createUser(ctx());

      const empty = await list(alice.key);
      await seed(alice.key);
      const noMatch = await list(alice.key, { session_id: 'nothing-here' });

      expect(empty.status).toBe(200);
      expect(empty.text).toBe('[]');
      expect(noMatch.status).toBe(200);
      expect(noMatch.body).toEqual([]);
    });

    describe('filters, combined with AND', () => {
      it.each([
        ['flow_id', (seeded: any) => ({ flow_id: seeded.flowA })],
        ['session_id', () => ({ session_id: 'session-x' })],
        ['sender', () => ({ sender: 'machine' })],
        ['sender_name', () => ({ sender_name: 'user' })],
        [
          'flow_id and session_id',
          (seeded: any) => ({ flow_id: seeded.flowB, session_id: 'session-y' }),
        ],
        ['session_id and sender', () => ({ session_id: 'session-x', sender: 'user' })],
        [
          'all four',
          (seeded: any) => ({
            flow_id: seeded.flowA,
            session_id: 'session-y',
            sender: 'machine',
            sender_name: 'ai',
          }),
        ],
      ])('by %s', async (_label, filtersOf) => {
        const alice = await createUser(ctx());
        const seeded = await seed(alice.key);
        const filters: Record<string, string> = filtersOf(seeded);

        const response = await list(alice.key, filters);

        const expected = sortedBy(
          seeded.stored.filter((m) => Object.entries(filters).every(([k, v]) => m[k] === v)),
          'timestamp',
        );
        expect(expected.length).toBeGreaterThan(0);
        expect(expected.length).toBeLessThan(12);
        expect(response.status).toBe(200);
        expect(response.body).toEqual(expected);
      });

      it('answers nothing when the filters exclude each other', async () => {
        const alice = await createUser(ctx());
        const seeded = await seed(alice.key);
        // Every "machine" message has sender_name "ai", never "user".
        const response = await list(alice.key, { sender: 'machine', sender_name: 'user' });

        expect(response.status).toBe(200);
        expect(response.body).toEqual([]);
        expect(seeded.stored).toHaveLength(12);
      });

      it('matches session ids exactly: no prefixes, no case folding, no wildcards', async () => {
        const alice = await createUser(ctx());
        const flowId = randomUUID();
        await post(
          alice.key,
          ['chat', 'chat-2', 'Chat', 'c_at', 'c%t'].map((session_id) =>
            messageInput({ flow_id: flowId, session_id }),
          ),
        );

        for (const sessionId of ['chat', 'c_at', 'c%t']) {
          const response = await list(alice.key, { session_id: sessionId });
          expect(response.status).toBe(200);
          expect(response.body.map((m: any) => m.session_id)).toEqual([sessionId]);
        }
      });

      it('finds a session id with spaces, symbols and emoji, and reads "+" in the query as a space', async () => {
        const alice = await createUser(ctx());
        const flowId = randomUUID();
        const sessions = ['my session', 'a+b', 'user@example.com:42/x', 'chat 🚀 ünïcode'];
        await post(
          alice.key,
          sessions.map((session_id) => messageInput({ flow_id: flowId, session_id })),
        );

        const plusIsSpace = await ctx().api.get(`${MESSAGES}?session_id=my+session`, {
          key: alice.key,
        });
        const encodedPlus = await ctx().api.get(`${MESSAGES}?session_id=a%2Bb`, { key: alice.key });
        const encodedSpace = await ctx().api.get(`${MESSAGES}?session_id=my%20session`, {
          key: alice.key,
        });

        expect(plusIsSpace.status).toBe(200);
        expect(plusIsSpace.body.map((m: any) => m.session_id)).toEqual(['my session']);
        expect(encodedPlus.body.map((m: any) => m.session_id)).toEqual(['a+b']);
        expect(encodedSpace.body.map((m: any) => m.session_id)).toEqual(['my session']);
        for (const sessionId of sessions) {
          const response = await list(alice.key, { session_id: sessionId });
          expect(response.body.map((m: any) => m.session_id)).toEqual([sessionId]);
        }
      });

      it('accepts a flow_id in uppercase', async () => {
        const alice = await createUser(ctx());
        const seeded = await seed(alice.key);

        const response = await list(alice.key, { flow_id: seeded.flowA.toUpperCase() });

        expect(response.status).toBe(200);
        expect(response.body).toHaveLength(6);
        expect(response.body.every((m: any) => m.flow_id === seeded.flowA)).toBe(true);
      });
    });

    describe('order_by', () => {
      it.each(['timestamp', 'id', 'sender', 'sender_name', 'session_id', 'category', 'flow_id'])(
        'sorts by %s (ties: timestamp, then id)',
        async (column) => {
          const alice = await createUser(ctx());
          const { stored } = await seed(alice.key);

          const response = await list(alice.key, { order_by: column });

          expect(response.status).toBe(200);
          expect(response.body).toEqual(sortedBy(stored, column));
        },
      );

      it('sorts the other way with order=desc', async () => {
        const alice = await createUser(ctx());
        const { stored } = await seed(alice.key);

        const response = await list(alice.key, { order_by: 'sender', order: 'desc' });

        expect(response.status).toBe(200);
        expect(response.body).toEqual(sortedBy(stored, 'sender').reverse());
      });

      it.each([
        ['a column outside the allow-list', 'password'],
        ['a column the response does not have', 'user_id'],
        ['SQL', 'id; DROP TABLE message'],
        ['a quoted identifier', '"id"'],
        ['a direction appended', 'timestamp desc'],
        ['an empty value', ''],
      ])('refuses %s with 422, never 500', async (_label, orderBy) => {
        const alice = await createUser(ctx());
        const { stored } = await seed(alice.key);

        const response = await list(alice.key, { order_by: orderBy });

        expect(response.status).toBe(422);
        expect(response.body.detail).toHaveLength(1);
        expect(response.body.detail[0]).toMatchObject({
          type: 'value_error',
          loc: ['query', 'order_by'],
          input: orderBy,
        });
        expect(typeof response.body.detail[0].msg).toBe('string');
        const after = await list(alice.key);
        expect(after.status).toBe(200);
        expect(after.body).toHaveLength(stored.length);
      });

      it('refuses order_by given twice', async () => {
        const alice = await createUser(ctx());

        const response = await list(alice.key, { order_by: ['id', 'sender'] });

        expect(response.status).toBe(422);
        expect(response.body.detail[0]).toMatchObject({
          type: 'string_type',
          loc: ['query', 'order_by'],
          input: ['id', 'sender'],
        });
      });
    });

    describe('validation: 422 in FastAPI shape', () => {
      const cases: [string, Record<string, string | string[]>, object][] = [
        [
          'a flow_id that is not a uuid',
          { flow_id: 'not-a-uuid' },
          { type: 'uuid_parsing', loc: ['query', 'flow_id'], input: 'not-a-uuid' },
        ],
        [
          'SQL in flow_id',
          { flow_id: "' OR 1=1 --" },
          { type: 'uuid_parsing', loc: ['query', 'flow_id'] },
        ],
        [
          'an empty session_id',
          { session_id: '' },
          { type: 'string_too_short', loc: ['query', 'session_id'], input: '' },
        ],
        [
          'a session_id over 255 characters',
          { session_id: 's'.repeat(256) },
          { type: 'string_too_long', loc: ['query', 'session_id'] },
        ],
        [
          'a control character in session_id',
          { session_id: 'a\tb' },
          { type: 'value_error', loc: ['query', 'session_id'], input: 'a\tb' },
        ],
        [
          'sender given twice',
          { sender: ['a', 'b'] },
          { type: 'string_type', loc: ['query', 'sender'], input: ['a', 'b'] },
        ],
      ];

      it.each(cases)('refuses %s', async (_label, query, issue) => {
        const alice = await createUser(ctx());

        const response = await list(alice.key, query);

        expect(response.status).toBe(422);
        expect(response.body.detail).toHaveLength(1);
        expect(response.body.detail[0]).toMatchObject(issue);
        expect(typeof response.body.detail[0].msg).toBe('string');
      });

      it('ignores unknown query parameters, as FastAPI does', async () => {
        const alice = await createUser(ctx());
        const { stored } = await seed(alice.key);

        const response = await list(alice.key, { utm_source: 'mail' });

        expect(response.status).toBe(200);
        expect(response.body).toHaveLength(stored.length);
      });
    });

    describe('scoped to the caller', () => {
      it("never shows another user's messages, even filtered by their flow_id or session_id", async () => {
        const alice = await createUser(ctx());
        const mallory = await createUser(ctx());
        const { flowA, stored } = await seed(alice.key);

        const all = await list(mallory.key);
        const byFlow = await list(mallory.key, { flow_id: flowA });
        const bySession = await list(mallory.key, { session_id: 'session-x' });
        const byBoth = await list(mallory.key, { flow_id: flowA, session_id: 'session-x' });

        for (const response of [all, byFlow, bySession, byBoth]) {
          expect(response.status).toBe(200);
          expect(response.body).toEqual([]);
        }
        expect((await list(alice.key)).body).toHaveLength(stored.length);
      });

      it('shows the superuser only its own messages too', async () => {
        const alice = await createUser(ctx());
        await seed(alice.key);

        const response = await list(ADMIN_KEY);

        expect(response.status).toBe(200);
        expect(response.body).toEqual([]);
      });

      it('keeps two users\' sessions named "default" apart', async () => {
        const alice = await createUser(ctx());
        const bob = await createUser(ctx());
        const aliceMessages = await ingestSession(ctx(), alice.key, {
          sessionId: 'default',
          count: 3,
        });
        const bobMessages = await ingestSession(ctx(), bob.key, { sessionId: 'default', count: 2 });

        const aliceView = await list(alice.key, { session_id: 'default' });
        const bobView = await list(bob.key, { session_id: 'default' });

        expect(aliceView.body).toEqual(aliceMessages);
        expect(bobView.body).toEqual(bobMessages);
      });
    });

    describe('authentication', () => {
      it('answers 403 without a key, even with invalid parameters', async () => {
        const response = await ctx().api.get(MESSAGES, {
          query: { flow_id: 'not-a-uuid', order_by: 'password' },
        });

        expect(response.status).toBe(403);
        expect(response.body).toEqual({ detail: 'An API key must be passed as query or header' });
      });

      it('accepts the key in the query string and as a bearer token', async () => {
        const alice = await createUser(ctx());
        const stored = await ingestSession(ctx(), alice.key, { sessionId: 's', count: 2 });

        const inQuery = await ctx().api.get(MESSAGES, { query: { 'x-api-key': alice.key } });
        const bearer = await ctx().api.get(MESSAGES, {
          headers: { authorization: `Bearer ${alice.key}` },
        });

        expect(inQuery.status).toBe(200);
        expect(inQuery.body).toEqual(stored);
        expect(bearer.status).toBe(200);
        expect(bearer.body).toEqual(stored);
      });
    });
  },
  { pgbouncer: true },
);
