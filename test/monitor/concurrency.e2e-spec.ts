import { randomUUID } from 'node:crypto';
import { ingestSession, messageInput } from '../factories/messages';
import { createUser, TestUser } from '../factories/users';
import { ApiResponse } from '../support/api-client';
import { describeEachDatabase } from '../support/test-app';

const rename = (old: string) => `/api/v1/monitor/messages/session/${encodeURIComponent(old)}`;

interface Rename {
  from: string;
  to: string;
  response: ApiResponse;
}

interface Ingest {
  ids: string[];
  response: ApiResponse;
}

describeEachDatabase(
  'concurrent renames and ingests of one session',
  (ctx) => {
    /** Every stored message: id -> session_id, straight from the database. */
    async function storedSessions(): Promise<Map<string, string>> {
      const rows = await ctx().dataSource.query<{ id: string; session_id: string }[]>(
        'SELECT "id", "session_id" FROM "message"',
      );
      const sessions = new Map<string, string>();
      for (const row of rows) {
        expect(sessions.has(row.id)).toBe(false);
        sessions.set(row.id, row.session_id);
      }
      return sessions;
    }

    function renameOf(user: TestUser, from: string, to: string): Promise<Rename> {
      return ctx()
        .api.patch(rename(from), { key: user.key, query: { new_session_id: to } })
        .then((response) => ({ from, to, response }));
    }

    /** Stores `count` messages in `sessionId` under a flow of the user's, with ids chosen here. */
    function ingestOf(
      user: TestUser,
      flowId: string,
      sessionId: string,
      count: number,
      startAt: number,
    ): Promise<Ingest> {
      const ids = Array.from({ length: count }, () => randomUUID());
      const body = ids.map((id, index) =>
        messageInput({
          id,
          flow_id: flowId,
          session_id: sessionId,
          timestamp: new Date(startAt + index).toISOString(),
        }),
      );
      return ctx()
        .api.post('/api/v1/monitor/messages', { key: user.key, body })
        .then((response) => ({ ids, response }));
    }

    /** A 200 answer: ordered by (timestamp, id), every message carrying the new session id. */
    function expectWellFormed(done: Rename): string[] {
      const messages = done.response.body as {
        id: string;
        timestamp: string;
        session_id: string;
      }[];
      expect(Array.isArray(messages)).toBe(true);
      expect(messages.every((message) => message.session_id === done.to)).toBe(true);
      const sorted = [...messages].sort((a, b) =>
        a.timestamp === b.timestamp ? a.id.localeCompare(b.id) : a.timestamp < b.timestamp ? -1 : 1,
      );
      expect(messages.map((message) => message.id)).toEqual(sorted.map((message) => message.id));
      return messages.map((message) => message.id);
    }

    function expectOnly200or404(renames: Rename[]): void {
      for (const done of renames) {
        expect({ rename: `${done.from} -> ${done.to}`, status: done.response.status }).toEqual({
          rename: `${done.from} -> ${done.to}`,
          status: done.response.status === 404 ? 404 : 200,
        });
        if (done.response.status === 404) {
          expect(done.response.body).toEqual({
            detail: 'No messages found with the given session ID',
          });
        }
      }
    }

    it('eight simultaneous renames of one session, with ingests into it: nothing split, lost or duplicated', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      const originals = await ingestSession(ctx(), alice.key, {
        sessionId: 'A',
        flowId,
        count: 200,
      });
      const originalIds = originals.map((message) => message.id as string);

      const targets = Array.from({ length: 8 }, (_, index) => `A-renamed-${index}`);
      const [renames, ingests] = await Promise.all([
        Promise.all(targets.map((target) => renameOf(alice, 'A', target))),
        Promise.all(
          Array.from({ length: 6 }, (_, index) =>
            ingestOf(alice, flowId, 'A', 20, Date.UTC(2027, 0, 1) + index * 1000),
          ),
        ),
      ]);

      expectOnly200or404(renames);
      for (const ingest of ingests) {
        expect(ingest.response.status).toBe(201);
      }
      const ingestedIds = ingests.flatMap((ingest) => ingest.ids);

      // Every message exactly once: the ones stored before and every batch answered 201.
      const sessions = await storedSessions();
      expect([...sessions.keys()].sort()).toEqual([...originalIds, ...ingestedIds].sort());

      // The original messages never split: all of them ended in one session, and not in A.
      const originalHomes = new Set(originalIds.map((id) => sessions.get(id)));
      expect(originalHomes.size).toBe(1);
      const [home] = [...originalHomes];
      expect(targets).toContain(home);

      // Each target got its messages from exactly one rename, and that rename answered exactly them.
      const successes = renames.filter((done) => done.response.status === 200);
      expect(successes.length).toBeGreaterThanOrEqual(1);
      const answered = new Set<string>();
      for (const done of successes) {
        const ids = expectWellFormed(done);
        const landed = [...sessions].filter(([, session]) => session === done.to).map(([id]) => id);
        expect([...ids].sort()).toEqual(landed.sort());
        expect(ids.length).toBeGreaterThan(0);
        ids.forEach((id) => answered.add(id));
      }
      // The rename that moved the originals answered all of them in one piece.
      const movedOriginals = successes.find((done) => done.to === home)!;
      expect(movedOriginals.response.body.map((message: { id: string }) => message.id)).toEqual(
        expect.arrayContaining(originalIds),
      );
      for (const done of renames.filter((rename) => rename.response.status === 404)) {
        expect([...sessions.values()]).not.toContain(done.to);
      }
      // What no rename answered is still in A (ingested after the renames had run).
      for (const [id, session] of sessions) {
        expect(answered.has(id) ? session !== 'A' : session === 'A').toBe(true);
      }
    });

    it('ping-pong renames A -> B and B -> A: the session always moves whole', async () => {
      const alice = await createUser(ctx());
      const originals = await ingestSession(ctx(), alice.key, { sessionId: 'A', count: 20 });
      const originalIds = originals.map((message) => message.id as string).sort();

      // Rounds of simultaneous renames both ways: each waits on the others' row locks.
      const renames: Rename[] = [];
      for (let round = 0; round < 25; round += 1) {
        renames.push(
          ...(await Promise.all(
            Array.from({ length: 10 }, (_, index) =>
              index % 2 === 0 ? renameOf(alice, 'A', 'B') : renameOf(alice, 'B', 'A'),
            ),
          )),
        );
      }

      expectOnly200or404(renames);
      const successes = renames.filter((done) => done.response.status === 200);
      expect(successes.length).toBeGreaterThanOrEqual(5);
      // Only these 20 messages exist, so every rename that moved anything moved all of them.
      // A 200 answer lists what that rename moved, even if a later rename has moved it on since.
      for (const done of successes) {
        const ids = [...expectWellFormed(done)].sort();
        expect(`${done.from} -> ${done.to} answered ${ids.length} messages`).toBe(
          `${done.from} -> ${done.to} answered ${originalIds.length} messages`,
        );
        expect(ids).toEqual(originalIds);
      }

      const sessions = await storedSessions();
      expect([...sessions.keys()].sort()).toEqual(originalIds);
      expect(new Set(sessions.values()).size).toBe(1);
      expect(['A', 'B']).toContain(sessions.get(originalIds[0]));
    });

    it('ping-pong renames with ingests into both sessions: every message once, the originals together', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      const originals = await ingestSession(ctx(), alice.key, {
        sessionId: 'A',
        flowId,
        count: 100,
      });
      const originalIds = originals.map((message) => message.id as string);

      const renames: Promise<Rename>[] = [];
      const ingests: Promise<Ingest>[] = [];
      for (let index = 0; index < 12; index += 1) {
        renames.push(index % 2 === 0 ? renameOf(alice, 'A', 'B') : renameOf(alice, 'B', 'A'));
        ingests.push(
          ingestOf(alice, flowId, index % 2 === 0 ? 'A' : 'B', 10, Date.UTC(2027, 0, 1) + index),
        );
      }
      const done = await Promise.all(renames);
      const stored = await Promise.all(ingests);

      expectOnly200or404(done);
      for (const ingest of stored) {
        expect(ingest.response.status).toBe(201);
      }
      for (const success of done.filter((rename) => rename.response.status === 200)) {
        const ids = new Set(expectWellFormed(success));
        // A rename moves the originals all together or not at all.
        const originalsMoved = originalIds.filter((id) => ids.has(id)).length;
        expect([0, originalIds.length]).toContain(originalsMoved);
        expect(ids.size).toBeGreaterThan(0);
      }

      const sessions = await storedSessions();
      const ingestedIds = stored.flatMap((ingest) => ingest.ids);
      expect([...sessions.keys()].sort()).toEqual([...originalIds, ...ingestedIds].sort());
      expect(new Set(originalIds.map((id) => sessions.get(id))).size).toBe(1);
      expect(['A', 'B']).toContain(sessions.get(originalIds[0]));
    });

    it('two users renaming their own "default" sessions at once never touch each other', async () => {
      const alice = await createUser(ctx());
      const bob = await createUser(ctx());
      const aliceIds = (await ingestSession(ctx(), alice.key, { sessionId: 'default', count: 50 }))
        .map((message) => message.id as string)
        .sort();
      const bobIds = (await ingestSession(ctx(), bob.key, { sessionId: 'default', count: 50 }))
        .map((message) => message.id as string)
        .sort();

      // Both into the same new name too: session ids are per user, so nothing merges across users.
      const [aliceFirst, bobFirst] = await Promise.all([
        renameOf(alice, 'default', 'archived'),
        renameOf(bob, 'default', 'archived'),
      ]);
      const [aliceSecond, bobSecond, aliceAgain, bobAgain] = await Promise.all([
        renameOf(alice, 'archived', 'alice-final'),
        renameOf(bob, 'archived', 'bob-final'),
        renameOf(alice, 'default', 'nothing-left'),
        renameOf(bob, 'default', 'nothing-left'),
      ]);

      for (const [done, ids] of [
        [aliceFirst, aliceIds],
        [bobFirst, bobIds],
        [aliceSecond, aliceIds],
        [bobSecond, bobIds],
      ] as const) {
        expect(done.response.status).toBe(200);
        expect([...expectWellFormed(done)].sort()).toEqual(ids);
      }
      expect(aliceAgain.response.status).toBe(404);
      expect(bobAgain.response.status).toBe(404);

      const sessions = await storedSessions();
      expect(sessions.size).toBe(100);
      expect(aliceIds.every((id) => sessions.get(id) === 'alice-final')).toBe(true);
      expect(bobIds.every((id) => sessions.get(id) === 'bob-final')).toBe(true);

      // And each user's messages are still in flows that user owns.
      const owners = await ctx().dataSource.query<{ id: string; user_id: string }[]>(
        'SELECT "message"."id" AS "id", "flow"."user_id" AS "user_id" FROM "message" JOIN "flow" ON "flow"."id" = "message"."flow_id"',
      );
      const ownerOf = new Map(owners.map((row) => [row.id, row.user_id]));
      expect(aliceIds.every((id) => ownerOf.get(id) === alice.id)).toBe(true);
      expect(bobIds.every((id) => ownerOf.get(id) === bob.id)).toBe(true);
    });
  },
  { pgbouncer: true },
);
