import { randomUUID } from 'node:crypto';
import { ingestSession, messageInput } from '../factories/messages';
import { createUser } from '../factories/users';
import { MESSAGE_FIELDS } from '../support/contract';
import { describeEachDatabase } from '../support/test-app';

const rename = (old: string) => `/api/v1/monitor/messages/session/${encodeURIComponent(old)}`;

describeEachDatabase(
  'PATCH /api/v1/monitor/messages/session/{old_session_id}',
  (ctx) => {
    async function sessionOf(key: string, sessionId: string): Promise<any[]> {
      const response = await ctx().api.get('/api/v1/monitor/messages', {
        key,
        query: { session_id: sessionId },
      });
      expect(response.status).toBe(200);
      return response.body;
    }

    it('moves every message of the session and answers them, ordered by timestamp then id', async () => {
      const alice = await createUser(ctx());
      const stored = await ingestSession(ctx(), alice.key, { sessionId: 'old', count: 5 });

      const response = await ctx().api.patch(rename('old'), {
        key: alice.key,
        query: { new_session_id: 'new' },
      });

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(response.body.map((m: any) => m.id)).toEqual(stored.map((m) => m.id));
      expect(response.body.every((m: any) => m.session_id === 'new')).toBe(true);
      expect(Object.keys(response.body[0])).toEqual(MESSAGE_FIELDS);
      expect(response.body[0]).toEqual({ ...stored[0], session_id: 'new' });
      expect(await sessionOf(alice.key, 'old')).toEqual([]);
      expect((await sessionOf(alice.key, 'new')).map((m) => m.id)).toEqual(stored.map((m) => m.id));
    });

    it("keeps each message's duration and session_metadata (Langflow 1.11's fields)", async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      const created = await ctx().api.post('/api/v1/monitor/messages', {
        key: alice.key,
        body: [
          messageInput({
            flow_id: flowId,
            session_id: 'old',
            timestamp: '2026-11-24T13:09:00.000Z',
            duration: 0.125,
            session_metadata: { channel: 'web', nested: { list: [1, null] } },
          }),
          messageInput({
            flow_id: flowId,
            session_id: 'old',
            timestamp: '2026-11-24T13:09:01.000Z',
          }),
          messageInput({
            flow_id: flowId,
            session_id: 'into',
            timestamp: '2026-11-24T13:09:02.000Z',
          }),
        ],
      });
      expect(created.status).toBe(201);
      const [first, second] = created.body;

      const response = await ctx().api.patch(rename('old'), {
        key: alice.key,
        query: { new_session_id: 'into' },
      });

      expect(response.status).toBe(200);
      expect(response.body).toEqual([
        { ...first, session_id: 'into' },
        { ...second, session_id: 'into' },
      ]);
      expect(response.body[0]).toMatchObject({
        duration: 0.125,
        session_metadata: { channel: 'web', nested: { list: [1, null] } },
      });
      expect(response.body[1]).toMatchObject({ duration: null, session_metadata: null });
      expect((await sessionOf(alice.key, 'into')).slice(0, 2)).toEqual(response.body);
    });

    it('orders equal timestamps by id', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      const timestamp = '2026-11-24T13:09:00.123Z';
      await ctx().api.post('/api/v1/monitor/messages', {
        key: alice.key,
        body: ids.map((id) => messageInput({ id, flow_id: flowId, session_id: 's', timestamp })),
      });

      const response = await ctx().api.patch(rename('s'), {
        key: alice.key,
        query: { new_session_id: 't' },
      });

      expect(response.status).toBe(200);
      expect(response.body.map((m: any) => m.id)).toEqual([...ids].sort());
    });

    it('answers 404 when the caller has no message in the session, and changes nothing', async () => {
      const alice = await createUser(ctx());
      await ingestSession(ctx(), alice.key, { sessionId: 'kept', count: 2 });

      const response = await ctx().api.patch(rename('missing'), {
        key: alice.key,
        query: { new_session_id: 'kept' },
      });

      expect(response.status).toBe(404);
      expect(response.body).toEqual({ detail: 'No messages found with the given session ID' });
      expect(await sessionOf(alice.key, 'kept')).toHaveLength(2);
    });

    it("never touches another user's session of the same name (CVE-2026-33760)", async () => {
      const alice = await createUser(ctx());
      const mallory = await createUser(ctx());
      const aliceMessages = await ingestSession(ctx(), alice.key, {
        sessionId: 'default',
        count: 3,
      });

      const foreign = await ctx().api.patch(rename('default'), {
        key: mallory.key,
        query: { new_session_id: 'stolen' },
      });
      expect(foreign.status).toBe(404);
      expect(foreign.body).toEqual({ detail: 'No messages found with the given session ID' });
      expect((await sessionOf(alice.key, 'default')).map((m) => m.id)).toEqual(
        aliceMessages.map((m) => m.id),
      );

      const malloryMessages = await ingestSession(ctx(), mallory.key, {
        sessionId: 'default',
        count: 2,
      });
      const own = await ctx().api.patch(rename('default'), {
        key: mallory.key,
        query: { new_session_id: 'mine' },
      });
      expect(own.status).toBe(200);
      expect(own.body.map((m: any) => m.id)).toEqual(malloryMessages.map((m) => m.id));
      expect((await sessionOf(alice.key, 'default')).map((m) => m.id)).toEqual(
        aliceMessages.map((m) => m.id),
      );
      expect(await sessionOf(alice.key, 'mine')).toEqual([]);
    });

    it('answers 200 with the messages unchanged when the new id equals the old one', async () => {
      const alice = await createUser(ctx());
      const stored = await ingestSession(ctx(), alice.key, { sessionId: 'same', count: 3 });

      const response = await ctx().api.patch(rename('same'), {
        key: alice.key,
        query: { new_session_id: 'same' },
      });

      expect(response.status).toBe(200);
      expect(response.body).toEqual(stored);
      expect(await sessionOf(alice.key, 'same')).toEqual(stored);
    });

    it('merges into a session that already has messages, answering only the moved ones', async () => {
      const alice = await createUser(ctx());
      const existing = await ingestSession(ctx(), alice.key, {
        sessionId: 'target',
        count: 2,
        startAt: Date.UTC(2026, 0, 1),
      });
      const moving = await ingestSession(ctx(), alice.key, {
        sessionId: 'source',
        count: 3,
        startAt: Date.UTC(2025, 0, 1),
      });

      const response = await ctx().api.patch(rename('source'), {
        key: alice.key,
        query: { new_session_id: 'target' },
      });

      expect(response.status).toBe(200);
      expect(response.body.map((m: any) => m.id)).toEqual(moving.map((m) => m.id));
      const merged = await sessionOf(alice.key, 'target');
      expect(merged.map((m) => m.id)).toEqual([...moving, ...existing].map((m) => m.id));
    });

    it.each([
      ['with a space', 'my session'],
      ['with a plus', 'a+b'],
      ['with a colon and an at sign', 'user@example.com:42'],
      ['with a slash', 'tenant/alpha/chat'],
      ['with an emoji', 'chat 🚀 ünïcode'],
      ['of 255 characters', 'x'.repeat(255)],
    ])('renames a session id %s in the path', async (_label, sessionId) => {
      const alice = await createUser(ctx());
      const stored = await ingestSession(ctx(), alice.key, { sessionId, count: 2 });

      const target = `${sessionId.slice(0, 200)} renamed`;
      const response = await ctx().api.patch(rename(sessionId), {
        key: alice.key,
        query: { new_session_id: target },
      });

      expect(response.status).toBe(200);
      expect(response.body.map((m: any) => m.id)).toEqual(stored.map((m) => m.id));
      expect(response.body[0].session_id).toBe(target);
      expect(await sessionOf(alice.key, sessionId)).toEqual([]);
    });

    it('reads "+" in the query string as a space, and "%2B" as a plus', async () => {
      const alice = await createUser(ctx());
      await ingestSession(ctx(), alice.key, { sessionId: 'a', count: 1 });
      await ingestSession(ctx(), alice.key, { sessionId: 'b', count: 1 });

      const spaced = await ctx().api.patch(`${rename('a')}?new_session_id=new+session`, {
        key: alice.key,
      });
      const plussed = await ctx().api.patch(`${rename('b')}?new_session_id=c%2B%2B`, {
        key: alice.key,
      });

      expect(spaced.status).toBe(200);
      expect(spaced.body[0].session_id).toBe('new session');
      expect(plussed.status).toBe(200);
      expect(plussed.body[0].session_id).toBe('c++');
    });

    it('decodes the path segment exactly once', async () => {
      const alice = await createUser(ctx());
      await ingestSession(ctx(), alice.key, { sessionId: 'a%2Fb', count: 1 });

      const response = await ctx().api.patch(`/api/v1/monitor/messages/session/a%252Fb`, {
        key: alice.key,
        query: { new_session_id: 'x' },
      });

      expect(response.status).toBe(200);
      expect(response.body).toHaveLength(1);
    });

    describe('validation: 422 in FastAPI shape, and nothing changes', () => {
      const cases: [string, string, object][] = [
        [
          'missing new_session_id',
          '',
          { type: 'missing', loc: ['query', 'new_session_id'], msg: 'Field required', input: null },
        ],
        [
          'empty new_session_id',
          '?new_session_id=',
          { type: 'string_too_short', loc: ['query', 'new_session_id'], input: '' },
        ],
        [
          'new_session_id over 255 characters',
          `?new_session_id=${'y'.repeat(256)}`,
          { type: 'string_too_long', loc: ['query', 'new_session_id'] },
        ],
        [
          'a control character',
          '?new_session_id=a%0Ab',
          { type: 'value_error', loc: ['query', 'new_session_id'], input: 'a\nb' },
        ],
        [
          'a DEL character',
          '?new_session_id=a%7Fb',
          { type: 'value_error', loc: ['query', 'new_session_id'] },
        ],
        [
          'new_session_id given twice',
          '?new_session_id=a&new_session_id=b',
          { type: 'string_type', loc: ['query', 'new_session_id'], input: ['a', 'b'] },
        ],
      ];

      it.each(cases)('%s', async (_label, query, issue) => {
        const alice = await createUser(ctx());
        const stored = await ingestSession(ctx(), alice.key, { sessionId: 'kept', count: 2 });

        const response = await ctx().api.patch(`${rename('kept')}${query}`, { key: alice.key });

        expect(response.status).toBe(422);
        expect(response.body.detail).toHaveLength(1);
        expect(response.body.detail[0]).toMatchObject(issue);
        expect(typeof response.body.detail[0].msg).toBe('string');
        expect(await sessionOf(alice.key, 'kept')).toEqual(stored);
      });

      it('refuses an old_session_id over 255 characters or with control characters in the path', async () => {
        const alice = await createUser(ctx());
        const long = await ctx().api.patch(`/api/v1/monitor/messages/session/${'z'.repeat(256)}`, {
          key: alice.key,
          query: { new_session_id: 'n' },
        });
        const control = await ctx().api.patch('/api/v1/monitor/messages/session/a%09b', {
          key: alice.key,
          query: { new_session_id: 'n' },
        });

        expect(long.status).toBe(422);
        expect(long.body.detail[0]).toMatchObject({
          type: 'string_too_long',
          loc: ['path', 'old_session_id'],
        });
        expect(control.status).toBe(422);
        expect(control.body.detail[0]).toMatchObject({
          type: 'value_error',
          loc: ['path', 'old_session_id'],
        });
      });

      it('answers a malformed percent-encoding in the path with a 422, not a 500', async () => {
        const alice = await createUser(ctx());
        const response = await ctx().api.patch('/api/v1/monitor/messages/session/%E0%A4%A', {
          key: alice.key,
          query: { new_session_id: 'n' },
        });
        expect(response.status).toBe(422);
        expect(response.body.detail).toEqual([
          {
            type: 'value_error',
            loc: ['path', 'old_session_id'],
            msg: 'Value error, not valid percent-encoding',
            input: '%E0%A4%A',
          },
        ]);
      });
    });

    it('authenticates before it validates', async () => {
      const none = await ctx().api.patch(rename('x'));
      expect(none.status).toBe(403);
      expect(none.body).toEqual({ detail: 'An API key must be passed as query or header' });

      const bad = await ctx().api.patch(`${rename('x')}?new_session_id=`, {
        key: 'sk-not-a-real-key-000000000000000000000000',
      });
      expect(bad.status).toBe(403);
      expect(bad.body).toEqual({ detail: 'Invalid or missing API key' });
    });

    it('sends the same number of SQL statements for 10 and for 1,000 messages', async () => {
      const alice = await createUser(ctx());
      await ingestSession(ctx(), alice.key, { sessionId: 'small', count: 10 });
      await ingestSession(ctx(), alice.key, { sessionId: 'large', count: 1000 });

      const small = await ctx().countStatements(async () => {
        const response = await ctx().api.patch(rename('small'), {
          key: alice.key,
          query: { new_session_id: 'small-2' },
        });
        expect(response.body).toHaveLength(10);
      });
      const large = await ctx().countStatements(async () => {
        const response = await ctx().api.patch(rename('large'), {
          key: alice.key,
          query: { new_session_id: 'large-2' },
        });
        expect(response.body).toHaveLength(1000);
      });

      expect(large.count).toBe(small.count);
      // Authentication, then BEGIN, the UPDATE, COMMIT and the re-select; on PostgreSQL the UPDATE
      // and the re-select are one statement (a data-modifying WITH).
      expect(small.count).toBeLessThanOrEqual(ctx().database.name === 'postgres' ? 7 : 5);
      expect(
        small.statements.filter((sql) => /\bUPDATE ("\w+"\.)?"message"/i.test(sql)),
      ).toHaveLength(1);
      expect(
        small.statements.filter((sql) => /^\s*(SELECT|DECLARE|FETCH)\b/i.test(sql)).length,
      ).toBeLessThanOrEqual(3);
    });
  },
  { pgbouncer: true },
);
