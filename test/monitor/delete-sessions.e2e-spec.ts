import { randomUUID } from 'node:crypto';
import { ingestSession, messageInput } from '../factories/messages';
import { createUser, TestUser } from '../factories/users';
import { describeEachDatabase } from '../support/test-app';

const session = (id: string) => `/api/v1/monitor/messages/session/${encodeURIComponent(id)}`;
const SESSIONS = '/api/v1/monitor/messages/sessions';
const TOO_MANY = 'Cannot delete more than 500 sessions at once. Please batch your requests.';

describeEachDatabase(
  'deleting sessions',
  (ctx) => {
    /** Every stored message as "username:session_id:id", straight from the database, sorted. */
    async function stored(): Promise<string[]> {
      const rows = await ctx().dataSource.query<
        { username: string; session_id: string; id: string }[]
      >(
        `SELECT "u"."username", "m"."session_id", "m"."id" FROM "message" "m"
       JOIN "flow" "f" ON "f"."id" = "m"."flow_id" JOIN "user" "u" ON "u"."id" = "f"."user_id"`,
      );
      return rows.map((row) => `${row.username}:${row.session_id}:${row.id}`).sort();
    }

    /** The rows `stored()` would list for these messages of this user. */
    function rowsOf(user: TestUser, messages: { id: string; session_id: string }[]): string[] {
      return messages.map((m) => `${user.username}:${m.session_id}:${m.id}`).sort();
    }

    describe('DELETE /api/v1/monitor/messages/session/{session_id}', () => {
      it("deletes every message the caller has in the session, across the caller's flows", async () => {
        const alice = await createUser(ctx());
        const gone = [
          ...(await ingestSession(ctx(), alice.key, { sessionId: 'chat', count: 3 })),
          ...(await ingestSession(ctx(), alice.key, { sessionId: 'chat', count: 2 })),
        ];
        const kept = await ingestSession(ctx(), alice.key, { sessionId: 'other', count: 2 });
        expect(new Set(gone.map((m) => m.flow_id)).size).toBe(2);

        const response = await ctx().api.delete(session('chat'), { key: alice.key });

        expect(response.status).toBe(204);
        expect(response.text).toBe('');
        expect(await stored()).toEqual(rowsOf(alice, kept));
      });

      it('is idempotent: deleting again, or a session that never existed, answers 204', async () => {
        const alice = await createUser(ctx());
        await ingestSession(ctx(), alice.key, { sessionId: 'chat', count: 2 });
        const kept = await ingestSession(ctx(), alice.key, { sessionId: 'kept', count: 1 });

        const first = await ctx().api.delete(session('chat'), { key: alice.key });
        const second = await ctx().api.delete(session('chat'), { key: alice.key });
        const never = await ctx().api.delete(session('never-existed'), { key: alice.key });

        expect([first.status, second.status, never.status]).toEqual([204, 204, 204]);
        expect(await stored()).toEqual(rowsOf(alice, kept));
      });

      it("never touches another user's session of the same name", async () => {
        const alice = await createUser(ctx());
        const mallory = await createUser(ctx());
        const alices = await ingestSession(ctx(), alice.key, { sessionId: 'default', count: 3 });
        await ingestSession(ctx(), mallory.key, { sessionId: 'default', count: 2 });

        const response = await ctx().api.delete(session('default'), { key: mallory.key });

        expect(response.status).toBe(204);
        expect(await stored()).toEqual(rowsOf(alice, alices));
        const again = await ctx().api.delete(session('default'), { key: mallory.key });
        expect(again.status).toBe(204);
        expect(await stored()).toEqual(rowsOf(alice, alices));
      });

      it.each([
        ['with a space', 'my session'],
        ['with a plus', 'a+b'],
        ['with a slash (%2F)', 'tenant/alpha/chat'],
        ['with an emoji', 'chat 🚀 ünïcode'],
        ['with a colon and an at sign', 'user@example.com:42'],
        ['of 255 characters', 'x'.repeat(255)],
      ])('deletes a session id %s', async (_label, sessionId) => {
        const alice = await createUser(ctx());
        await ingestSession(ctx(), alice.key, { sessionId, count: 2 });
        // A near neighbour that must survive.
        const neighbour = `${sessionId.slice(0, 254)} `;
        const kept = await ingestSession(ctx(), alice.key, { sessionId: neighbour, count: 1 });

        const response = await ctx().api.delete(session(sessionId), { key: alice.key });

        expect(response.status).toBe(204);
        expect(await stored()).toEqual(rowsOf(alice, kept));
      });

      it('reads a raw "+" in the path as a plus, not a space', async () => {
        const alice = await createUser(ctx());
        await ingestSession(ctx(), alice.key, { sessionId: 'a+b', count: 1 });
        const spaced = await ingestSession(ctx(), alice.key, { sessionId: 'a b', count: 1 });

        const response = await ctx().api.delete('/api/v1/monitor/messages/session/a+b', {
          key: alice.key,
        });

        expect(response.status).toBe(204);
        expect(await stored()).toEqual(rowsOf(alice, spaced));
      });

      it('decodes the path segment exactly once', async () => {
        const alice = await createUser(ctx());
        const literal = await ingestSession(ctx(), alice.key, { sessionId: 'a%2Fb', count: 1 });
        const slashed = await ingestSession(ctx(), alice.key, { sessionId: 'a/b', count: 1 });

        const response = await ctx().api.delete('/api/v1/monitor/messages/session/a%252Fb', {
          key: alice.key,
        });

        expect(response.status).toBe(204);
        expect(await stored()).toEqual(rowsOf(alice, slashed));
        expect(literal).toHaveLength(1);
      });

      it.each([
        ['a newline', 'bad%0Aid', 'value_error', 'bad\nid'],
        ['a tab', 'bad%09id', 'value_error', 'bad\tid'],
        ['a NUL', 'bad%00id', 'value_error', 'bad\u0000id'],
        ['a DEL', 'bad%7Fid', 'value_error', 'bad\u007fid'],
        ['256 characters', 'y'.repeat(256), 'string_too_long', 'y'.repeat(256)],
      ])(
        'answers 422 for a session id with %s, deleting nothing',
        async (_label, raw, type, input) => {
          const alice = await createUser(ctx());
          const kept = await ingestSession(ctx(), alice.key, { sessionId: 'bad', count: 1 });

          const response = await ctx().api.delete(`/api/v1/monitor/messages/session/${raw}`, {
            key: alice.key,
          });

          expect(response.status).toBe(422);
          expect(response.body.detail).toHaveLength(1);
          expect(response.body.detail[0]).toMatchObject({
            type,
            loc: ['path', 'session_id'],
            input,
          });
          expect(typeof response.body.detail[0].msg).toBe('string');
          expect(await stored()).toEqual(rowsOf(alice, kept));
        },
      );

      it('answers a malformed percent-encoding in the path with a 4xx, deleting nothing', async () => {
        const alice = await createUser(ctx());
        const kept = await ingestSession(ctx(), alice.key, { sessionId: '%E0%A4%A', count: 1 });

        const response = await ctx().api.delete('/api/v1/monitor/messages/session/%E0%A4%A', {
          key: alice.key,
        });

        expect(response.status).toBe(422);
        expect(response.body.detail).toEqual([
          {
            type: 'value_error',
            loc: ['path', 'session_id'],
            msg: 'Value error, not valid percent-encoding',
            input: '%E0%A4%A',
          },
        ]);
        expect(await stored()).toEqual(rowsOf(alice, kept));
      });

      it('answers 403 without a valid key, before validating', async () => {
        const alice = await createUser(ctx());
        const kept = await ingestSession(ctx(), alice.key, { sessionId: 'chat', count: 1 });

        const none = await ctx().api.delete(session('chat'));
        expect(none.status).toBe(403);
        expect(none.body).toEqual({ detail: 'An API key must be passed as query or header' });

        const bad = await ctx().api.delete('/api/v1/monitor/messages/session/bad%0Aid', {
          key: 'sk-not-a-real-key-000000000000000000000000',
        });
        expect(bad.status).toBe(403);
        expect(bad.body).toEqual({ detail: 'Invalid or missing API key' });
        expect(await stored()).toEqual(rowsOf(alice, kept));
      });
    });

    describe('DELETE /api/v1/monitor/messages/sessions', () => {
      it("deletes the caller's listed sessions and counts them", async () => {
        const alice = await createUser(ctx());
        await ingestSession(ctx(), alice.key, { sessionId: 'a', count: 3 });
        await ingestSession(ctx(), alice.key, { sessionId: 'b', count: 1 });
        const kept = await ingestSession(ctx(), alice.key, { sessionId: 'c', count: 2 });

        const response = await ctx().api.delete(SESSIONS, { key: alice.key, body: ['a', 'b'] });

        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toContain('application/json');
        expect(Object.keys(response.body)).toEqual(['message', 'deleted_count']);
        expect(response.body.deleted_count).toBe(2);
        expect(typeof response.body.message).toBe('string');
        expect(response.body.message.length).toBeGreaterThan(0);
        expect(await stored()).toEqual(rowsOf(alice, kept));
      });

      it('counts a session listed twice once', async () => {
        const alice = await createUser(ctx());
        await ingestSession(ctx(), alice.key, { sessionId: 'a', count: 2 });
        await ingestSession(ctx(), alice.key, { sessionId: 'b', count: 2 });

        const response = await ctx().api.delete(SESSIONS, {
          key: alice.key,
          body: ['a', 'b', 'a', 'b', 'a'],
        });

        expect(response.status).toBe(200);
        expect(response.body.deleted_count).toBe(2);
        expect(await stored()).toEqual([]);
      });

      it("neither counts nor touches unknown sessions and other users' sessions", async () => {
        const alice = await createUser(ctx());
        const mallory = await createUser(ctx());
        await ingestSession(ctx(), alice.key, { sessionId: 'mine', count: 2 });
        await ingestSession(ctx(), alice.key, { sessionId: 'shared-name', count: 1 });
        const theirs = [
          ...(await ingestSession(ctx(), mallory.key, { sessionId: 'shared-name', count: 2 })),
          ...(await ingestSession(ctx(), mallory.key, { sessionId: 'theirs', count: 2 })),
        ];

        const response = await ctx().api.delete(SESSIONS, {
          key: alice.key,
          body: ['mine', 'unknown', 'theirs', 'shared-name'],
        });

        expect(response.status).toBe(200);
        expect(response.body.deleted_count).toBe(2);
        expect(await stored()).toEqual(rowsOf(mallory, theirs));

        const again = await ctx().api.delete(SESSIONS, {
          key: alice.key,
          body: ['mine', 'theirs', 'shared-name'],
        });
        expect(again.status).toBe(200);
        expect(again.body.deleted_count).toBe(0);
        expect(await stored()).toEqual(rowsOf(mallory, theirs));
      });

      it('counts each session once across concurrent deletes of the same sessions', async () => {
        for (let round = 0; round < 4; round += 1) {
          await ctx().reset();
          const alice = await createUser(ctx());
          const ids = ['a', 'b', 'c'];
          for (const sessionId of ids) {
            await ingestSession(ctx(), alice.key, { sessionId, count: 20 });
          }

          const responses = await Promise.all(
            Array.from({ length: 6 }, () =>
              ctx().api.delete(SESSIONS, { key: alice.key, body: ids }),
            ),
          );

          expect(responses.map((response) => response.status)).toEqual(responses.map(() => 200));
          const total = responses.reduce((sum, response) => sum + response.body.deleted_count, 0);
          expect(total).toBe(ids.length);
          expect(await stored()).toEqual([]);
        }
      });

      it('deletes session ids with special characters, taken literally', async () => {
        const alice = await createUser(ctx());
        const ids = ['my session', 'a+b', 'tenant/alpha/chat', 'chat 🚀 ünïcode', 'a%2Fb'];
        for (const sessionId of ids) {
          await ingestSession(ctx(), alice.key, { sessionId, count: 1 });
        }
        const kept = await ingestSession(ctx(), alice.key, { sessionId: 'a/b', count: 1 });

        const response = await ctx().api.delete(SESSIONS, { key: alice.key, body: ids });

        expect(response.status).toBe(200);
        expect(response.body.deleted_count).toBe(ids.length);
        expect(await stored()).toEqual(rowsOf(alice, kept));
      });

      it('counts characters as ingest does: an id of 255 emoji is a valid session id', async () => {
        const alice = await createUser(ctx());
        const emoji = '\u{1F680}'.repeat(255);
        await ingestSession(ctx(), alice.key, { sessionId: emoji, count: 1 });

        const tooLong = await ctx().api.delete(SESSIONS, {
          key: alice.key,
          body: [`${emoji}\u{1F680}`],
        });
        expect(tooLong.status).toBe(422);
        expect(tooLong.body.detail[0]).toMatchObject({ type: 'string_too_long', loc: ['body', 0] });

        const response = await ctx().api.delete(SESSIONS, { key: alice.key, body: [emoji] });
        expect(response.status).toBe(200);
        expect(response.body.deleted_count).toBe(1);
        expect(await stored()).toEqual([]);
      });

      it('accepts exactly 500 session ids', async () => {
        const alice = await createUser(ctx());
        const flowId = randomUUID();
        const ids = Array.from({ length: 500 }, (_, index) => `s-${index}`);
        const created = await ctx().api.post('/api/v1/monitor/messages', {
          key: alice.key,
          body: ids.map((sessionId) => messageInput({ flow_id: flowId, session_id: sessionId })),
        });
        expect(created.status).toBe(201);
        const kept = await ingestSession(ctx(), alice.key, { sessionId: 's-500', count: 1 });

        const response = await ctx().api.delete(SESSIONS, { key: alice.key, body: ids });

        expect(response.status).toBe(200);
        expect(response.body.deleted_count).toBe(500);
        expect(await stored()).toEqual(rowsOf(alice, kept));
      });

      it('answers 400 for 501 session ids and deletes nothing', async () => {
        const alice = await createUser(ctx());
        const kept = [
          ...(await ingestSession(ctx(), alice.key, { sessionId: 's-0', count: 1 })),
          ...(await ingestSession(ctx(), alice.key, { sessionId: 's-500', count: 1 })),
        ];
        const ids = Array.from({ length: 501 }, (_, index) => `s-${index}`);

        const response = await ctx().api.delete(SESSIONS, { key: alice.key, body: ids });

        expect(response.status).toBe(400);
        expect(response.body).toEqual({ detail: TOO_MANY });
        expect(await stored()).toEqual(rowsOf(alice, kept));
      });

      describe('validation: 422 in FastAPI shape, and nothing is deleted', () => {
        const cases: [string, unknown, object[]][] = [
          [
            'an empty list',
            [],
            [
              {
                type: 'too_short',
                loc: ['body'],
                msg: 'List should have at least 1 item after validation, not 0',
                input: [],
              },
            ],
          ],
          [
            'a non-string item',
            ['kept', 7],
            [
              {
                type: 'string_type',
                loc: ['body', 1],
                msg: 'Input should be a valid string',
                input: 7,
              },
            ],
          ],
          [
            'several bad items, each at its index',
            [null, 'kept', ['kept'], '', 'a\nb', 'z'.repeat(256)],
            [
              { type: 'string_type', loc: ['body', 0], input: null },
              { type: 'string_type', loc: ['body', 2], input: ['kept'] },
              { type: 'string_too_short', loc: ['body', 3], input: '' },
              { type: 'value_error', loc: ['body', 4], input: 'a\nb' },
              { type: 'string_too_long', loc: ['body', 5] },
            ],
          ],
          [
            'an object instead of a list',
            { session_ids: ['kept'] },
            [{ type: 'list_type', loc: ['body'], input: { session_ids: ['kept'] } }],
          ],
          ['a bare string', 'kept', [{ type: 'list_type', loc: ['body'], input: 'kept' }]],
        ];

        it.each(cases)('%s', async (_label, body, issues) => {
          const alice = await createUser(ctx());
          const kept = await ingestSession(ctx(), alice.key, { sessionId: 'kept', count: 2 });

          const response = await ctx().api.delete(SESSIONS, { key: alice.key, body });

          expect(response.status).toBe(422);
          expect(response.body.detail).toHaveLength(issues.length);
          issues.forEach((issue, index) => {
            expect(response.body.detail[index]).toMatchObject(issue);
            expect(typeof response.body.detail[index].msg).toBe('string');
          });
          expect(await stored()).toEqual(rowsOf(alice, kept));
        });

        it('answers a request without a body with 422 missing', async () => {
          const alice = await createUser(ctx());
          const kept = await ingestSession(ctx(), alice.key, { sessionId: 'kept', count: 1 });

          const response = await ctx().api.delete(SESSIONS, { key: alice.key });

          expect(response.status).toBe(422);
          expect(response.body).toEqual({
            detail: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }],
          });
          expect(await stored()).toEqual(rowsOf(alice, kept));
        });
      });

      it('answers 403 without a valid key, before validating the body', async () => {
        const alice = await createUser(ctx());
        const kept = await ingestSession(ctx(), alice.key, { sessionId: 'kept', count: 1 });

        const none = await ctx().api.delete(SESSIONS, { body: ['kept'] });
        expect(none.status).toBe(403);
        expect(none.body).toEqual({ detail: 'An API key must be passed as query or header' });

        const bad = await ctx().api.delete(SESSIONS, {
          key: 'sk-not-a-real-key-000000000000000000000000',
          body: Array.from({ length: 501 }, (_, index) => `s-${index}`),
        });
        expect(bad.status).toBe(403);
        expect(bad.body).toEqual({ detail: 'Invalid or missing API key' });
        expect(await stored()).toEqual(rowsOf(alice, kept));
      });
    });
  },
  { pgbouncer: true },
);
