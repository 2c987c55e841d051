import { createUser } from '../factories/users';
import { seedMessages } from '../factories/messages';
import { StalledClient } from '../support/stalled-client';
import { describeEachDatabase, TestApp } from '../support/test-app';

const rename = (old: string, next: string, extra = '') =>
  `/api/v1/monitor/messages/session/${encodeURIComponent(old)}?new_session_id=${encodeURIComponent(next)}${extra}`;

/** About 13 MB of answer: far more than the socket buffers, so a reader that stops is felt. */
const COUNT = 5_000;

async function sessionCounts(testApp: TestApp): Promise<Record<string, number>> {
  const rows = await testApp.dataSource.query<{ session_id: string; count: string | number }[]>(
    'SELECT "session_id", COUNT(*) AS "count" FROM "message" GROUP BY "session_id"',
  );
  return Object.fromEntries(rows.map((row) => [row.session_id, Number(row.count)]));
}

describeEachDatabase(
  'a rename whose client does not read its answer',
  (ctx) => {
    it('is committed before its 200, visible to everyone, and holds nothing while the client stalls', async () => {
      const alice = await createUser(ctx());
      await seedMessages(ctx(), alice.id, { sessionId: 'big', count: COUNT, padding: 2_500 });

      const stalled = await StalledClient.open(ctx().api.baseUrl, 'PATCH', rename('big', 'moved'), {
        'x-api-key': alice.key,
      });
      try {
        expect(stalled.status).toBe(200);
        // The client has read nothing of the body, yet every message has moved for everyone.
        expect(await sessionCounts(ctx())).toEqual({ moved: COUNT });
        const listed = await ctx().api.get('/api/v1/monitor/messages', {
          key: alice.key,
          query: { session_id: 'moved', limit: '1' },
        });
        expect(listed.status).toBe(200);
        expect(listed.body).toHaveLength(1);
        // Nothing is locked for it: a rename and a delete of the moved rows go through now.
        const again = await ctx().api.patch(rename('moved', 'moved-again'), { key: alice.key });
        expect(again.status).toBe(200);
        expect(again.body).toHaveLength(COUNT);
        const deleted = await ctx().api.delete(
          `/api/v1/monitor/messages/session/${encodeURIComponent('moved-again')}`,
          { key: alice.key },
        );
        expect(deleted.status).toBe(204);
        expect(await sessionCounts(ctx())).toEqual({});

        // The stalled answer still lists exactly what the first rename moved, as it moved it.
        const { body, complete } = await stalled.resume();
        expect(complete).toBe(true);
        const items = JSON.parse(body) as { id: string; session_id: string; text: string }[];
        expect(items).toHaveLength(COUNT);
        expect(items.every((item) => item.session_id === 'moved')).toBe(true);
        expect(items.map((item) => Number(item.text.split(' ')[0]))).toEqual(
          Array.from({ length: COUNT }, (_, index) => index),
        );
      } finally {
        stalled.destroy();
      }
    });

    it('answers on_conflict=reject the same way: committed before the 200', async () => {
      const alice = await createUser(ctx());
      await seedMessages(ctx(), alice.id, { sessionId: 'big', count: COUNT, padding: 2_500 });
      const stalled = await StalledClient.open(
        ctx().api.baseUrl,
        'PATCH',
        rename('big', 'fresh', '&on_conflict=reject'),
        { 'x-api-key': alice.key },
      );
      try {
        expect(stalled.status).toBe(200);
        expect(await sessionCounts(ctx())).toEqual({ fresh: COUNT });
        const conflict = await ctx().api.patch(rename('fresh', 'fresh', '&on_conflict=reject'), {
          key: alice.key,
        });
        expect(conflict.status).toBe(200);
        const { body, complete } = await stalled.resume();
        expect(complete).toBe(true);
        expect(JSON.parse(body)).toHaveLength(COUNT);
      } finally {
        stalled.destroy();
      }
    });
  },
  { pgbouncer: true },
);
