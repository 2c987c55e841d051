import * as net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { insertFlow } from '../factories/messages';
import { createUser } from '../factories/users';
import { describeEachDatabase, TestApp } from '../support/test-app';

const rename = (old: string) => `/api/v1/monitor/messages/session/${encodeURIComponent(old)}`;

const SIZE = 100_000;

/**
 * The id of seeded message n (1-based) of a session seeded under `prefix` (8 hex digits):
 * zero-padded, so text order is numeric order.
 */
const seededId = (prefix: string, n: number) =>
  `${prefix}-0000-4000-8000-${String(n).padStart(12, '0')}`;

/**
 * Seconds after 2026-01-01 of seeded message n: a permutation of 0..99,999 halved, so timestamps
 * run in a different order than ids and every timestamp is shared by two messages.
 */
const seededSecond = (n: number) => Math.floor(((n * 7919) % SIZE) / 2);

/**
 * Writes `count` messages of one session straight into the database (the API takes 1,000 per
 * request), into a flow owned by `userId`.
 */
async function seedSession(
  testApp: TestApp,
  userId: string,
  sessionId: string,
  count: number,
  idPrefix: string,
): Promise<void> {
  const flowId = await insertFlow(testApp, userId);
  const dataSource = testApp.dataSource;
  const postgres = testApp.database.name === 'postgres';
  const columns = `"id", "flow_id", "timestamp", "sender", "sender_name", "session_id", "text"`;
  if (postgres) {
    await dataSource.query(
      `INSERT INTO "message" (${columns})
       SELECT ($4 || '-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, $1::uuid,
              to_char(timestamp '2026-01-01' + (((n * 7919) % ${SIZE}) / 2) * interval '1 second',
                      'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
              'User', 'User', $2, 'message ' || n
       FROM generate_series(1, $3::int) AS n`,
      [flowId, sessionId, count, idPrefix],
    );
  } else {
    await dataSource.query(
      `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
       INSERT INTO "message" (${columns})
       SELECT ? || '-0000-4000-8000-' || substr('000000000000' || n, -12), ?,
              strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || (((n * 7919) % ${SIZE}) / 2) || ' seconds'),
              'User', 'User', ?, 'message ' || n
       FROM seq`,
      [count, idPrefix, flowId, sessionId],
    );
  }
}

describeEachDatabase('renaming a session of 100,000 messages', (ctx) => {
  it('moves all of them in one request, answers them in order, with as many statements as a small session', async () => {
    const alice = await createUser(ctx());
    await seedSession(ctx(), alice.id, 'small', 10, 'aaaaaaaa');
    await seedSession(ctx(), alice.id, 'huge', SIZE, '00000000');
    // A key's first request of a minute also records its last use (one UPDATE): not measured.
    await ctx().api.get('/api/v1/monitor/messages/sessions', { key: alice.key });

    const small = await ctx().countStatements(async () => {
      const response = await ctx().api.patch(rename('small'), {
        key: alice.key,
        query: { new_session_id: 'small-renamed' },
      });
      expect(response.status).toBe(200);
      expect(response.body).toHaveLength(10);
    });

    let body: any[] = [];
    const large = await ctx().countStatements(async () => {
      const response = await ctx().api.patch(rename('huge'), {
        key: alice.key,
        query: { new_session_id: 'huge-renamed' },
      });
      expect(response.status).toBe(200);
      body = response.body;
    });

    expect(large.count).toBe(small.count);
    expect(
      large.statements.filter((sql) => /\bUPDATE ("\w+"\.)?"message"/i.test(sql)),
    ).toHaveLength(1);

    const expected = Array.from({ length: SIZE }, (_, index) => index + 1)
      .map((n) => ({ id: seededId('00000000', n), second: seededSecond(n) }))
      .sort((a, b) => a.second - b.second || (a.id < b.id ? -1 : 1));
    expect(body).toHaveLength(SIZE);
    expect(body.map((message) => message.id)).toEqual(expected.map((message) => message.id));
    expect(body.every((message) => message.session_id === 'huge-renamed')).toBe(true);
    const start = Date.UTC(2026, 0, 1);
    expect(body.map((message) => message.timestamp)).toEqual(
      expected.map((message) => new Date(start + message.second * 1000).toISOString()),
    );
    const first = expected[0].id;
    expect(body[0]).toEqual({
      id: first,
      flow_id: expect.any(String),
      timestamp: '2026-01-01T00:00:00.000Z',
      sender: 'User',
      sender_name: 'User',
      session_id: 'huge-renamed',
      context_id: null,
      text: `message ${Number(first.slice(-12))}`,
      files: [],
      edit: false,
      properties: {},
      category: 'message',
      content_blocks: [],
      duration: null,
      session_metadata: null,
    });

    const counts = await ctx().dataSource.query<{ session_id: string; count: string | number }[]>(
      'SELECT "session_id", COUNT(*) AS "count" FROM "message" GROUP BY "session_id" ORDER BY "session_id"',
    );
    expect(counts.map((row) => [row.session_id, Number(row.count)])).toEqual([
      ['huge-renamed', SIZE],
      ['small-renamed', 10],
    ]);
  }, 600_000);
});

describeEachDatabase('a client that goes away in the middle of a large rename answer', (ctx) => {
  it('keeps the rename, and the service goes on serving on every pooled connection', async () => {
    const alice = await createUser(ctx());
    await seedSession(ctx(), alice.id, 'big', 30_000, 'bbbbbbbb');
    await seedSession(ctx(), alice.id, 'ping', 3, 'cccccccc');

    const abort = new AbortController();
    const response = await fetch(
      `${ctx().api.baseUrl}${rename('big')}?new_session_id=big-renamed`,
      { method: 'PATCH', headers: { 'x-api-key': alice.key }, signal: abort.signal },
    );
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    abort.abort();
    await reader.cancel().catch(() => undefined);

    // More requests than the connection pool holds: a connection left with an open cursor or
    // an unfinished read would show up as a failure or a hang here.
    let session = 'ping';
    for (let round = 0; round < 15; round += 1) {
      const next = `ping-${round}`;
      const renamed = await ctx().api.patch(rename(session), {
        key: alice.key,
        query: { new_session_id: next },
      });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toHaveLength(3);
      session = next;
    }
    const [{ count }] = await ctx().dataSource.query<{ count: string | number }[]>(
      `SELECT COUNT(*) AS "count" FROM "message" WHERE "session_id" = 'big-renamed'`,
    );
    expect(Number(count)).toBe(30_000);
  });

  it('gives every connection back when clients hang up right after sending their request', async () => {
    const alice = await createUser(ctx());
    await seedSession(ctx(), alice.id, 'hang-a', 2_000, 'dddddddd');
    const { port } = new URL(ctx().api.baseUrl);
    const currentSession = async () => {
      const rows = await ctx().dataSource.query<{ session_id: string }[]>(
        `SELECT DISTINCT "session_id" FROM "message" WHERE "session_id" IN ('hang-a', 'hang-b')`,
      );
      expect(rows).toHaveLength(1);
      return rows[0].session_id;
    };

    // More hang-ups than the PostgreSQL pool has connections (10), each 0 to 3 ms after sending.
    let session = 'hang-a';
    for (let round = 0; round < 14; round += 1) {
      const next = session === 'hang-a' ? 'hang-b' : 'hang-a';
      const socket = net.connect(Number(port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        `PATCH ${rename(session)}?new_session_id=${next} HTTP/1.1\r\n` +
          `Host: 127.0.0.1\r\nx-api-key: ${alice.key}\r\nConnection: close\r\n\r\n`,
      );
      await sleep(round % 4);
      socket.destroy();
      // Whether that rename happened is up to timing: let it finish, then find the session.
      await sleep(100);
      session = await currentSession();
    }
    await sleep(300);
    session = await currentSession();

    const health = await ctx().api.get('/health_check');
    expect(health.status).toBe(200);
    for (let round = 0; round < 12; round += 1) {
      const next = session === 'hang-a' ? 'hang-b' : 'hang-a';
      const renamed = await ctx().api.patch(rename(session), {
        key: alice.key,
        query: { new_session_id: next },
      });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toHaveLength(2_000);
      session = next;
    }
  });
});
