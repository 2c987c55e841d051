import { ingestSession } from '../factories/messages';
import { createUser, TestUser } from '../factories/users';
import { ApiResponse } from '../support/api-client';
import { describeEachDatabase } from '../support/test-app';

const rename = (old: string) => `/api/v1/monitor/messages/session/${encodeURIComponent(old)}`;

describeEachDatabase(
  'PATCH .../session/{old_session_id}?on_conflict=',
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

    /** The rows `stored()` lists for these messages of this user, in `sessionId` if given. */
    function rowsOf(
      user: TestUser,
      messages: { id: string; session_id: string }[],
      sessionId?: string,
    ): string[] {
      return messages.map((m) => `${user.username}:${sessionId ?? m.session_id}:${m.id}`).sort();
    }

    function renameOf(
      user: TestUser,
      from: string,
      to: string,
      onConflict?: string,
    ): Promise<ApiResponse> {
      const query: Record<string, string> = { new_session_id: to };
      if (onConflict !== undefined) {
        query.on_conflict = onConflict;
      }
      return ctx().api.patch(rename(from), { key: user.key, query });
    }

    const idsOf = (messages: { id: string }[]) => messages.map((m) => m.id);

    describe('on_conflict=reject', () => {
      it('answers 409 and changes nothing when the caller already has messages in the new id', async () => {
        const alice = await createUser(ctx());
        const source = await ingestSession(ctx(), alice.key, { sessionId: 'source', count: 3 });
        const target = await ingestSession(ctx(), alice.key, { sessionId: 'target', count: 2 });
        const before = await stored();

        const response = await renameOf(alice, 'source', 'target', 'reject');

        expect(response.status).toBe(409);
        expect(response.body).toEqual({ detail: 'Session already exists: target' });
        expect(await stored()).toEqual(before);
        expect(before).toEqual([...rowsOf(alice, source), ...rowsOf(alice, target)].sort());
      });

      it('names the existing session exactly, special characters included', async () => {
        const alice = await createUser(ctx());
        await ingestSession(ctx(), alice.key, { sessionId: 'source', count: 1 });
        await ingestSession(ctx(), alice.key, { sessionId: 'tenant/a b 🚀', count: 1 });
        const before = await stored();

        const response = await renameOf(alice, 'source', 'tenant/a b 🚀', 'reject');

        expect(response.status).toBe(409);
        expect(response.body).toEqual({ detail: 'Session already exists: tenant/a b 🚀' });
        expect(await stored()).toEqual(before);
      });

      it('renames when the new id is free', async () => {
        const alice = await createUser(ctx());
        const source = await ingestSession(ctx(), alice.key, { sessionId: 'source', count: 3 });

        const response = await renameOf(alice, 'source', 'fresh', 'reject');

        expect(response.status).toBe(200);
        expect(idsOf(response.body)).toEqual(idsOf(source));
        expect(response.body.every((m: any) => m.session_id === 'fresh')).toBe(true);
        expect(await stored()).toEqual(rowsOf(alice, source, 'fresh'));
      });

      it('renames when only another user has messages in the new id, leaving theirs alone', async () => {
        const alice = await createUser(ctx());
        const mallory = await createUser(ctx());
        const source = await ingestSession(ctx(), alice.key, { sessionId: 'source', count: 2 });
        const theirs = await ingestSession(ctx(), mallory.key, { sessionId: 'taken', count: 2 });

        const response = await renameOf(alice, 'source', 'taken', 'reject');

        expect(response.status).toBe(200);
        expect(idsOf(response.body)).toEqual(idsOf(source));
        expect(await stored()).toEqual(
          [...rowsOf(alice, source, 'taken'), ...rowsOf(mallory, theirs)].sort(),
        );
        const mallorys = await ctx().api.get('/api/v1/monitor/messages', {
          key: mallory.key,
          query: { session_id: 'taken' },
        });
        expect(mallorys.body).toEqual(theirs);
      });

      it('answers 200 with the messages unchanged when the new id equals the old one', async () => {
        const alice = await createUser(ctx());
        const same = await ingestSession(ctx(), alice.key, { sessionId: 'same', count: 3 });
        const before = await stored();

        const response = await renameOf(alice, 'same', 'same', 'reject');

        expect(response.status).toBe(200);
        expect(response.body).toEqual(same);
        expect(await stored()).toEqual(before);
      });

      it('answers 404 when the caller has no message in the old session and the new id is free', async () => {
        const alice = await createUser(ctx());
        const mallory = await createUser(ctx());
        const theirs = await ingestSession(ctx(), mallory.key, { sessionId: 'source', count: 1 });

        const response = await renameOf(alice, 'source', 'fresh', 'reject');

        expect(response.status).toBe(404);
        expect(response.body).toEqual({ detail: 'No messages found with the given session ID' });
        expect(await stored()).toEqual(rowsOf(mallory, theirs));
      });

      it('answers 404 rather than 409 when the old session is missing and the new one exists', async () => {
        const alice = await createUser(ctx());
        await ingestSession(ctx(), alice.key, { sessionId: 'taken', count: 2 });
        const before = await stored();

        const response = await renameOf(alice, 'missing', 'taken', 'reject');

        expect(response.status).toBe(404);
        expect(response.body).toEqual({ detail: 'No messages found with the given session ID' });
        expect(await stored()).toEqual(before);
      });
    });

    describe('on_conflict=merge', () => {
      it.each([
        ['by default', undefined],
        ['when asked explicitly', 'merge'],
      ])('merges into a session that already has messages %s', async (_label, onConflict) => {
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

        const response = await renameOf(alice, 'source', 'target', onConflict);

        expect(response.status).toBe(200);
        expect(idsOf(response.body)).toEqual(idsOf(moving));
        expect(response.body.every((m: any) => m.session_id === 'target')).toBe(true);
        expect(await stored()).toEqual(
          [...rowsOf(alice, moving, 'target'), ...rowsOf(alice, existing)].sort(),
        );
      });
    });

    describe('validation: 422 in FastAPI shape, and nothing changes', () => {
      it.each([
        ['an unknown policy', { on_conflict: 'overwrite' }, 'value_error', 'overwrite'],
        ['a policy in capitals', { on_conflict: 'REJECT' }, 'value_error', 'REJECT'],
        ['an empty policy', { on_conflict: '' }, 'value_error', ''],
        ['a policy given twice', { on_conflict: ['reject', 'merge'] }, 'string_type', undefined],
      ])('%s', async (_label, extra, type, input) => {
        const alice = await createUser(ctx());
        await ingestSession(ctx(), alice.key, { sessionId: 'source', count: 2 });
        await ingestSession(ctx(), alice.key, { sessionId: 'target', count: 1 });
        const before = await stored();

        const response = await ctx().api.patch(rename('source'), {
          key: alice.key,
          query: { new_session_id: 'target', ...extra },
        });

        expect(response.status).toBe(422);
        expect(response.body.detail).toHaveLength(1);
        expect(response.body.detail[0]).toMatchObject({
          type,
          loc: ['query', 'on_conflict'],
          input: input ?? extra.on_conflict,
        });
        expect(typeof response.body.detail[0].msg).toBe('string');
        expect(await stored()).toEqual(before);
      });
    });

    describe('concurrency', () => {
      const PARALLEL = 6;
      const ROUNDS = 4;

      it('lets exactly one of several concurrent rejecting renames into one id succeed', async () => {
        for (let round = 0; round < ROUNDS; round += 1) {
          await ctx().reset();
          const alice = await createUser(ctx());
          const sources = Array.from({ length: PARALLEL }, (_, index) => `r${round}-s${index}`);
          const messages = new Map<string, any[]>();
          for (const sessionId of sources) {
            messages.set(sessionId, await ingestSession(ctx(), alice.key, { sessionId, count: 3 }));
          }
          const target = `r${round}-target`;

          const responses = await Promise.all(
            sources.map((sessionId) => renameOf(alice, sessionId, target, 'reject')),
          );

          const statuses = responses.map((response) => response.status);
          expect(statuses.filter((status) => status === 200)).toHaveLength(1);
          expect(statuses.filter((status) => status === 409)).toHaveLength(PARALLEL - 1);
          const winner = sources[statuses.indexOf(200)];
          expect(idsOf(responses[statuses.indexOf(200)].body)).toEqual(
            idsOf(messages.get(winner) ?? []),
          );
          for (const response of responses.filter((r) => r.status === 409)) {
            expect(response.body).toEqual({ detail: `Session already exists: ${target}` });
          }
          const expected = sources.flatMap((sessionId) =>
            rowsOf(alice, messages.get(sessionId) ?? [], sessionId === winner ? target : undefined),
          );
          expect(await stored()).toEqual(expected.sort());
        }
      });

      it('lets concurrent rejecting renames of different users into one id all succeed', async () => {
        const users: TestUser[] = [];
        const messages = new Map<string, any[]>();
        for (let index = 0; index < PARALLEL; index += 1) {
          const user = await createUser(ctx());
          users.push(user);
          messages.set(
            user.username,
            await ingestSession(ctx(), user.key, { sessionId: 'mine', count: 2 }),
          );
        }

        const responses = await Promise.all(
          users.map((user) => renameOf(user, 'mine', 'shared-target', 'reject')),
        );

        expect(responses.map((response) => response.status)).toEqual(users.map(() => 200));
        const expected = users.flatMap((user) =>
          rowsOf(user, messages.get(user.username) ?? [], 'shared-target'),
        );
        expect(await stored()).toEqual(expected.sort());
      });
    });

    it('authenticates before it validates', async () => {
      const none = await ctx().api.patch(rename('x'), {
        query: { new_session_id: 'y', on_conflict: 'bogus' },
      });
      expect(none.status).toBe(403);
      expect(none.body).toEqual({ detail: 'An API key must be passed as query or header' });
    });
  },
  { pgbouncer: true },
);
