import { randomUUID } from 'node:crypto';
import { ingestSession, messageInput } from '../factories/messages';
import { createUser, TestUser } from '../factories/users';
import { describeEachDatabase } from '../support/test-app';

const SESSIONS = '/api/v1/monitor/messages/sessions';

describeEachDatabase(
  'GET /api/v1/monitor/messages/sessions',
  (ctx) => {
    /** Stores one message per (session, timestamp) pair under the given flow. */
    async function ingest(
      user: TestUser,
      flowId: string,
      messages: [sessionId: string, timestamp: string][],
    ): Promise<void> {
      const response = await ctx().api.post('/api/v1/monitor/messages', {
        key: user.key,
        body: messages.map(([sessionId, timestamp]) =>
          messageInput({ flow_id: flowId, session_id: sessionId, timestamp }),
        ),
      });
      expect(response.status).toBe(201);
    }

    async function sessionsOf(user: TestUser, query?: Record<string, string>): Promise<string[]> {
      const response = await ctx().api.get(SESSIONS, { key: user.key, query });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/json');
      return response.body;
    }

    it('answers an empty list when the caller has no messages', async () => {
      const alice = await createUser(ctx());
      const response = await ctx().api.get(SESSIONS, { key: alice.key });

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(response.body).toEqual([]);
    });

    it('lists each session once, most recently active first (by its newest message)', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      await ingest(alice, flowId, [
        ['oldest', '2026-01-01T00:00:00.000Z'],
        ['oldest', '2026-01-01T00:00:01.000Z'],
        ['middle', '2026-01-02T00:00:00.000Z'],
        // Started first, but its newest message is the newest of all.
        ['revived', '2025-06-01T00:00:00.000Z'],
        ['revived', '2026-01-03T00:00:00.000Z'],
        ['middle', '2026-01-02T00:00:00.001Z'],
      ]);

      expect(await sessionsOf(alice)).toEqual(['revived', 'middle', 'oldest']);
    });

    it('never lists a null session id: no route can store one, nor can the database', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      await ingest(alice, flowId, [['kept', '2026-01-01T00:00:00.000Z']]);
      const [message] = (await ctx().api.get('/api/v1/monitor/messages', { key: alice.key }))
        .body as { id: string }[];

      const ingested = await ctx().api.post('/api/v1/monitor/messages', {
        key: alice.key,
        body: [messageInput({ flow_id: flowId, session_id: null as unknown as string })],
      });
      expect(ingested.status).toBe(422);
      const updated = await ctx().api.put(`/api/v1/monitor/messages/${message.id}`, {
        key: alice.key,
        body: { session_id: null },
      });
      expect(updated.status).toBe(422);
      // The column itself is NOT NULL on both databases.
      await expect(
        ctx().dataSource.query('UPDATE "message" SET "session_id" = NULL'),
      ).rejects.toThrow(/null/i);

      expect(await sessionsOf(alice)).toEqual(['kept']);
    });

    it('orders sessions whose newest messages share a timestamp by session id', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      const same = '2026-03-01T12:00:00.000Z';
      await ingest(alice, flowId, [
        ['tie-c', same],
        ['tie-a', same],
        ['newer', '2026-03-02T00:00:00.000Z'],
        ['tie-b', '2026-02-01T00:00:00.000Z'],
        ['tie-b', same],
        ['older', '2026-01-01T00:00:00.000Z'],
      ]);

      expect(await sessionsOf(alice)).toEqual(['newer', 'tie-a', 'tie-b', 'tie-c', 'older']);
    });

    it('follows new activity: a message in an old session moves it to the front', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      await ingestSession(ctx(), alice.key, {
        sessionId: 'first',
        flowId,
        count: 2,
        startAt: Date.UTC(2026, 0, 1),
      });
      await ingestSession(ctx(), alice.key, {
        sessionId: 'second',
        flowId,
        count: 2,
        startAt: Date.UTC(2026, 0, 2),
      });
      expect(await sessionsOf(alice)).toEqual(['second', 'first']);

      await ingest(alice, flowId, [['first', '2026-01-03T00:00:00.000Z']]);

      expect(await sessionsOf(alice)).toEqual(['first', 'second']);
    });

    it('filters by flow_id, ordering by the newest message within that flow', async () => {
      const alice = await createUser(ctx());
      const flowA = randomUUID();
      const flowB = randomUUID();
      await ingest(alice, flowA, [
        ['only-a', '2026-01-01T00:00:00.000Z'],
        ['both', '2026-01-02T00:00:00.000Z'],
      ]);
      await ingest(alice, flowB, [
        ['only-b', '2026-01-05T00:00:00.000Z'],
        ['both', '2026-01-09T00:00:00.000Z'],
      ]);

      expect(await sessionsOf(alice)).toEqual(['both', 'only-b', 'only-a']);
      expect(await sessionsOf(alice, { flow_id: flowA })).toEqual(['both', 'only-a']);
      expect(await sessionsOf(alice, { flow_id: flowB })).toEqual(['both', 'only-b']);
      // Flow ids are UUIDs in any letter case.
      expect(await sessionsOf(alice, { flow_id: flowA.toUpperCase() })).toEqual(['both', 'only-a']);
      expect(await sessionsOf(alice, { flow_id: randomUUID() })).toEqual([]);
    });

    it("never shows another user's sessions, nor lets their activity reorder the caller's", async () => {
      const alice = await createUser(ctx());
      const mallory = await createUser(ctx());
      const aliceFlow = randomUUID();
      const malloryFlow = randomUUID();
      await ingest(alice, aliceFlow, [
        ['shared-name', '2026-01-01T00:00:00.000Z'],
        ['alice-only', '2026-01-02T00:00:00.000Z'],
      ]);
      await ingest(mallory, malloryFlow, [
        ['shared-name', '2027-01-01T00:00:00.000Z'],
        ['mallory-only', '2027-01-02T00:00:00.000Z'],
      ]);

      expect(await sessionsOf(alice)).toEqual(['alice-only', 'shared-name']);
      expect(await sessionsOf(mallory)).toEqual(['mallory-only', 'shared-name']);
      // Someone else's flow is indistinguishable from an unknown one.
      expect(await sessionsOf(alice, { flow_id: malloryFlow })).toEqual([]);
    });

    it('answers session ids with special characters exactly as stored', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      const ids = [
        'my session',
        'a+b',
        'user@example.com:42',
        'tenant/alpha/chat',
        'chat 🚀 ünïcode',
        'quote " and back\\slash',
        'percent %2F',
        'x'.repeat(255),
      ];
      await ingest(
        alice,
        flowId,
        ids.map((id, index): [string, string] => [
          id,
          new Date(Date.UTC(2026, 0, 1) + index * 1000).toISOString(),
        ]),
      );

      expect(await sessionsOf(alice)).toEqual([...ids].reverse());
    });

    it('answers 422 uuid_parsing for a malformed flow_id', async () => {
      const alice = await createUser(ctx());
      await ingestSession(ctx(), alice.key, { sessionId: 's', count: 1 });

      const response = await ctx().api.get(SESSIONS, {
        key: alice.key,
        query: { flow_id: 'not-a-uuid' },
      });

      expect(response.status).toBe(422);
      expect(response.body).toEqual({
        detail: [
          {
            type: 'uuid_parsing',
            loc: ['query', 'flow_id'],
            msg: 'Input should be a valid UUID, invalid length or characters',
            input: 'not-a-uuid',
          },
        ],
      });
    });

    it('answers 422 uuid_parsing for an empty flow_id', async () => {
      const alice = await createUser(ctx());

      const response = await ctx().api.get(`${SESSIONS}?flow_id=`, { key: alice.key });

      expect(response.status).toBe(422);
      expect(response.body.detail).toHaveLength(1);
      expect(response.body.detail[0]).toMatchObject({
        type: 'uuid_parsing',
        loc: ['query', 'flow_id'],
        input: '',
      });
    });

    it('is not taken for GET messages/{message_id}', async () => {
      const alice = await createUser(ctx());
      const [stored] = await ingestSession(ctx(), alice.key, { sessionId: 'routed', count: 1 });

      expect(await sessionsOf(alice)).toEqual(['routed']);
      // The message route still answers its own path.
      const message = await ctx().api.get(`/api/v1/monitor/messages/${stored.id}`, {
        key: alice.key,
      });
      expect(message.status).toBe(200);
      expect(message.body).toEqual(stored);
      const malformed = await ctx().api.get('/api/v1/monitor/messages/session', { key: alice.key });
      expect(malformed.status).toBe(422);
      expect(malformed.body.detail[0]).toMatchObject({
        type: 'uuid_parsing',
        loc: ['path', 'message_id'],
      });
    });

    it('answers 403 without a valid key, before validating flow_id', async () => {
      const none = await ctx().api.get(SESSIONS);
      expect(none.status).toBe(403);
      expect(none.body).toEqual({ detail: 'An API key must be passed as query or header' });

      const bad = await ctx().api.get(SESSIONS, {
        key: 'sk-not-a-real-key-000000000000000000000000',
        query: { flow_id: 'not-a-uuid' },
      });
      expect(bad.status).toBe(403);
      expect(bad.body).toEqual({ detail: 'Invalid or missing API key' });
    });
  },
  { pgbouncer: true },
);
