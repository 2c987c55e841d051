import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiKeyService } from '../../src/auth/api-key.service';
import { ingestSession } from '../factories/messages';
import { buildInput, transactionInput } from '../factories/run-logs';
import { createUser, TestUser } from '../factories/users';
import { StandbyPair, withClient } from '../support/hot-standby';
import { PgBouncer } from '../support/pgbouncer';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Reads from a real streaming replica (a hot standby made with pg_basebackup -R from a primary of
 * the suite's own), with read-your-writes per API key. The standby applies every commit
 * APPLY_DELAY_MS late, so "a reader who did not write sees the old state" and "the writer sees
 * its write" are both certain, not a race.
 */
const APPLY_DELAY_MS = 4000;
const MESSAGES = '/api/v1/monitor/messages';

/** A user with two keys: read-your-writes is kept per key. */
interface TwoKeys extends TestUser {
  otherKey: string;
}

async function userWithTwoKeys(testApp: TestApp): Promise<TwoKeys> {
  const user = await createUser(testApp);
  const { plainKey } = await testApp.app.get(ApiKeyService).issue(user.id, 'second');
  return { ...user, otherKey: plainKey };
}

/** The value of one metric sample in the service's /metrics, 0 when it is absent. */
async function metric(testApp: TestApp, name: string, labels: Record<string, string> = {}) {
  const text = (await testApp.api.get('/metrics')).text;
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      const labelText = line.slice(name.length, line.lastIndexOf(' '));
      if (wanted.every((pair) => labelText.includes(pair))) {
        return Number(line.slice(line.lastIndexOf(' ') + 1));
      }
    }
  }
  return 0;
}

/** Where the service sent reads so far: the primary, and the replica (its only one). */
async function readCounts(testApp: TestApp) {
  const text = (await testApp.api.get('/metrics')).text;
  let primary = 0;
  let replica = 0;
  for (const line of text.split('\n')) {
    const match = /^db_reads_total\{target="([^"]+)"\} (\d+)/.exec(line);
    if (match) {
      if (match[1] === 'primary') {
        primary += Number(match[2]);
      } else {
        replica += Number(match[2]);
      }
    }
  }
  return { primary, replica };
}

/** Runs `work` and tells where its reads went. */
async function readsOf<T>(testApp: TestApp, work: () => Promise<T>) {
  const before = await readCounts(testApp);
  const result = await work();
  const after = await readCounts(testApp);
  return {
    result,
    primary: after.primary - before.primary,
    replica: after.replica - before.replica,
  };
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting until ${what}`);
    }
    await sleep(100);
  }
}

function sessionTexts(testApp: TestApp, key: string, sessionId: string) {
  return testApp.api.get(MESSAGES, { key, query: { session_id: sessionId } }).then((response) => {
    expect(response.status).toBe(200);
    return (response.body as { text: string }[]).map((message) => message.text);
  });
}

// The pair is made with the machine's PostgreSQL server binaries; like every PostgreSQL suite this
// runs when TEST_DATABASE_URL is set (CI always sets it), and fails if the binaries are missing.
const describePostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

describePostgres('read replicas (DATABASE_READ_URLS) with a real hot standby', () => {
  let pair: StandbyPair;

  beforeAll(async () => {
    pair = await StandbyPair.start({ applyDelayMs: APPLY_DELAY_MS });
  });

  afterAll(async () => {
    await pair?.stop();
  });

  const replicaEnv = (readUrl: string, extra: Record<string, string> = {}) => ({
    DATABASE_READ_URLS: readUrl,
    DATABASE_READ_POLL_INTERVAL: '0.2',
    DATABASE_READ_MAX_LAG: '60',
    ...extra,
  });

  async function startWithReplica(readUrl: string, extra: Record<string, string> = {}) {
    const testApp = await startTestApp(
      { name: 'postgres', url: pair.primaryUrl },
      replicaEnv(readUrl, extra),
    );
    await testApp.reset();
    // The replica has the tables (and the reset) before any test reads there.
    await pair.waitForReplay();
    await until(
      async () => (await metric(testApp, 'db_replica_state', { state: 'up' })) === 1,
      'the replica is up',
    );
    return testApp;
  }

  for (const layout of ['direct', 'through PgBouncer'] as const) {
    describe(layout, () => {
      let testApp: TestApp;
      let bouncer: PgBouncer | undefined;

      beforeAll(async () => {
        let readUrl = pair.standbyUrl;
        if (layout === 'through PgBouncer') {
          bouncer = await PgBouncer.start(pair.standbyUrl, { poolMode: 'transaction' });
          readUrl = bouncer.url(new URL(pair.standbyUrl).pathname.slice(1));
        }
        testApp = await startWithReplica(readUrl);
      });

      afterAll(async () => {
        await testApp?.close();
        await bouncer?.stop();
      });

      it('serves the reads of a key that has not written from the replica, and writes on the primary', async () => {
        const alice = await userWithTwoKeys(testApp);
        await ingestSession(testApp, alice.key, { sessionId: 'chat', count: 3 });

        // The other key has written nothing: the replica answers, and has not applied the write yet.
        const other = await readsOf(testApp, () => sessionTexts(testApp, alice.otherKey, 'chat'));
        expect(other).toEqual({ result: [], primary: 0, replica: 1 });

        // The writing key reads its write at once, from the primary.
        const own = await readsOf(testApp, () => sessionTexts(testApp, alice.key, 'chat'));
        expect(own).toEqual({
          result: ['message 0', 'message 1', 'message 2'],
          primary: 1,
          replica: 0,
        });

        // Once the replica has applied it, the replica serves both keys.
        await pair.waitForReplay();
        await sleep(600);
        for (const key of [alice.otherKey, alice.key]) {
          const later = await readsOf(testApp, () => sessionTexts(testApp, key, 'chat'));
          expect(later).toEqual({
            result: ['message 0', 'message 1', 'message 2'],
            primary: 0,
            replica: 1,
          });
        }

        // Nothing was promoted: the standby is still one, and the rows were written on the primary.
        expect(
          await withClient(pair.standbyUrl, async (client) => {
            const result = await client.query<{ recovery: boolean }>(
              'SELECT pg_is_in_recovery() AS "recovery"',
            );
            return result.rows[0].recovery;
          }),
        ).toBe(true);
      });

      it('shows every key its own rename, ingest, update and delete at once, under a lagging replica', async () => {
        const alice = await userWithTwoKeys(testApp);
        const [first] = await ingestSession(testApp, alice.key, { sessionId: 'old', count: 2 });
        await pair.waitForReplay();
        await sleep(600);
        const texts = (key: string, session: string) => sessionTexts(testApp, key, session);

        // Rename.
        const renamed = await testApp.api.patch(`${MESSAGES}/session/old`, {
          key: alice.key,
          query: { new_session_id: 'new' },
        });
        expect(renamed.status).toBe(200);
        expect(await texts(alice.key, 'new')).toEqual(['message 0', 'message 1']);
        expect(await texts(alice.key, 'old')).toEqual([]);
        const sessions = await testApp.api.get(`${MESSAGES}/sessions`, { key: alice.key });
        expect(sessions.body).toEqual(['new']);
        // The key that did not rename reads the replica, which has not applied it yet.
        expect(await texts(alice.otherKey, 'old')).toEqual(['message 0', 'message 1']);

        // Ingest.
        await testApp.api.post(MESSAGES, {
          key: alice.key,
          body: [
            {
              flow_id: first.flow_id,
              session_id: 'new',
              sender: 'AI',
              sender_name: 'AI',
              text: 'added',
              timestamp: '2026-02-01T00:00:00Z',
            },
          ],
        });
        expect(await texts(alice.key, 'new')).toEqual(['message 0', 'message 1', 'added']);

        // Update.
        const updated = await testApp.api.put(`${MESSAGES}/${first.id}`, {
          key: alice.key,
          body: { text: 'edited' },
        });
        expect(updated.status).toBe(200);
        const read = await testApp.api.get(`${MESSAGES}/${first.id}`, { key: alice.key });
        expect(read.body.text).toBe('edited');
        const stale = await testApp.api.get(`${MESSAGES}/${first.id}`, { key: alice.otherKey });
        expect(stale.body.text).toBe('message 0');

        // Delete.
        const deleted = await testApp.api.delete(`${MESSAGES}/session/new`, { key: alice.key });
        expect(deleted.status).toBe(204);
        expect(await texts(alice.key, 'new')).toEqual([]);
        expect((await testApp.api.get(`${MESSAGES}/sessions`, { key: alice.key })).body).toEqual(
          [],
        );

        // The replica catches up: the other key sees it all, from the replica.
        await pair.waitForReplay();
        const caughtUp = await readsOf(testApp, () => texts(alice.otherKey, 'new'));
        expect(caughtUp).toEqual({ result: [], primary: 0, replica: 1 });
        expect(await texts(alice.otherKey, 'old')).toEqual([]);
      });

      it('reads builds, transactions, traces and exports from the replica, and the writer from the primary', async () => {
        const alice = await userWithTwoKeys(testApp);
        const flowId = randomUUID();
        const writes = [
          ['/api/v1/monitor/builds', [buildInput({ flow_id: flowId })]],
          ['/api/v1/monitor/transactions', [transactionInput({ flow_id: flowId })]],
          ['/api/v1/monitor/traces', [{ flow_id: flowId, name: 'Basic Prompting', spans: [] }]],
          [
            MESSAGES,
            [{ flow_id: flowId, session_id: 's', sender: 'User', sender_name: 'User', text: 'hi' }],
          ],
        ] as const;
        for (const [path, body] of writes) {
          const response = await testApp.api.post(path, { key: alice.key, body });
          expect(response.status).toBe(201);
        }
        const reads = async (key: string) => {
          const builds = await testApp.api.get('/api/v1/monitor/builds', {
            key,
            query: { flow_id: flowId },
          });
          const transactions = await testApp.api.get('/api/v1/monitor/transactions', {
            key,
            query: { flow_id: flowId },
          });
          const traces = await testApp.api.get('/api/v1/monitor/traces', {
            key,
            query: { flow_id: flowId },
          });
          const exported = await testApp.api.get(`${MESSAGES}/export`, { key });
          return {
            builds: Object.keys(builds.body.vertex_builds).length,
            transactions: transactions.body.total,
            traces: traces.body.total,
            exported: exported.text.split('\n').filter((line) => line !== '').length,
          };
        };
        const own = await readsOf(testApp, () => reads(alice.key));
        expect(own).toEqual({
          result: { builds: 1, transactions: 1, traces: 1, exported: 1 },
          primary: expect.any(Number),
          replica: 0,
        });
        const other = await readsOf(testApp, () => reads(alice.otherKey));
        expect(other.result).toEqual({ builds: 0, transactions: 0, traces: 0, exported: 0 });
        expect(other.primary).toBe(0);
        expect(other.replica).toBeGreaterThanOrEqual(4);

        await pair.waitForReplay();
        expect((await readsOf(testApp, () => reads(alice.otherKey))).result).toEqual({
          builds: 1,
          transactions: 1,
          traces: 1,
          exported: 1,
        });
      });

      it('loses no request when the replica stops under load, and reads from it again when it is back', async () => {
        const alice = await userWithTwoKeys(testApp);
        await ingestSession(testApp, alice.key, { sessionId: 'chat', count: 20 });
        await pair.waitForReplay();
        let running = true;
        const statuses: number[] = [];
        let longestMs = 0;
        const reader = async () => {
          while (running) {
            const started = Date.now();
            const list = await testApp.api.get(MESSAGES, {
              key: alice.otherKey,
              query: { session_id: 'chat' },
            });
            statuses.push(list.status);
            longestMs = Math.max(longestMs, Date.now() - started);
            expect(list.body).toHaveLength(20);
            const sessions = await testApp.api.get(`${MESSAGES}/sessions`, { key: alice.otherKey });
            statuses.push(sessions.status);
          }
        };
        const readers = Array.from({ length: 6 }, reader);
        await sleep(500);
        await pair.stopStandby('fast');
        await until(
          async () => (await metric(testApp, 'db_replica_state', { state: 'down' })) === 1,
          'the replica is seen down',
        );
        // The service stays ready: the replica is not the database it needs.
        expect((await testApp.api.get('/health_check')).status).toBe(200);
        await sleep(1000);
        running = false;
        await Promise.all(readers);
        expect(statuses.length).toBeGreaterThan(12);
        expect(statuses.filter((status) => status !== 200)).toEqual([]);
        // Not a speed check: a read left waiting on the dead replica (through PgBouncer, for its
        // query_wait_timeout of 120 s) is a hang; moved to the primary, it ends within a poll.
        expect(longestMs).toBeLessThan(10_000);

        // While it is down, every read is the primary's.
        const whileDown = await readsOf(testApp, () =>
          sessionTexts(testApp, alice.otherKey, 'chat'),
        );
        expect(whileDown.replica).toBe(0);

        await pair.startStandby();
        await until(
          async () => (await metric(testApp, 'db_replica_state', { state: 'up' })) === 1,
          'the replica is up again',
        );
        const back = await readsOf(testApp, () => sessionTexts(testApp, alice.otherKey, 'chat'));
        expect(back).toMatchObject({ primary: 0, replica: 1 });
        expect(back.result).toHaveLength(20);
      });
    });
  }

  describe('a replica further behind than DATABASE_READ_MAX_LAG', () => {
    it('gets no reads until it has caught up', async () => {
      const testApp = await startWithReplica(pair.standbyUrl, { DATABASE_READ_MAX_LAG: '1' });
      try {
        const alice = await userWithTwoKeys(testApp);
        await ingestSession(testApp, alice.key, { sessionId: 'chat', count: 2 });
        // The standby applies it 4 s late: past 1 s behind, it is lagging.
        await until(
          async () => (await metric(testApp, 'db_replica_state', { state: 'lagging' })) === 1,
          'the replica is seen lagging',
        );
        expect(await metric(testApp, 'db_replica_lag_seconds')).toBeGreaterThan(1);
        // Even a key that wrote nothing reads the primary now, and so sees the write.
        const meanwhile = await readsOf(testApp, () =>
          sessionTexts(testApp, alice.otherKey, 'chat'),
        );
        expect(meanwhile).toEqual({ result: ['message 0', 'message 1'], primary: 1, replica: 0 });

        await pair.waitForReplay();
        await until(
          async () => (await metric(testApp, 'db_replica_state', { state: 'up' })) === 1,
          'the replica is up again',
        );
        const after = await readsOf(testApp, () => sessionTexts(testApp, alice.otherKey, 'chat'));
        expect(after).toEqual({ result: ['message 0', 'message 1'], primary: 0, replica: 1 });
      } finally {
        await testApp.close();
      }
    });
  });

  describe('a read sent to a replica just as it dies, through PgBouncer', () => {
    it('is moved to the primary once the replica is seen gone, instead of waiting on PgBouncer', async () => {
      const bouncer = await PgBouncer.start(pair.standbyUrl, { poolMode: 'transaction' });
      // Slow polls: the read is sent while the service still believes the replica up.
      const testApp = await startWithReplica(
        bouncer.url(new URL(pair.standbyUrl).pathname.slice(1)),
        { DATABASE_READ_POLL_INTERVAL: '2' },
      );
      try {
        const alice = await userWithTwoKeys(testApp);
        await ingestSession(testApp, alice.key, { sessionId: 'chat', count: 2 });
        await pair.waitForReplay();
        const warm = await readsOf(testApp, () => sessionTexts(testApp, alice.otherKey, 'chat'));
        expect(warm).toMatchObject({ primary: 0, replica: 1 });

        await pair.stopStandby('fast');
        const started = Date.now();
        const caught = await readsOf(testApp, () => sessionTexts(testApp, alice.otherKey, 'chat'));
        // It went to the replica first (PgBouncer took it and found no server: it would hold it
        // for its query_wait_timeout, 120 s), then the primary answered.
        expect(caught).toEqual({ result: ['message 0', 'message 1'], primary: 1, replica: 1 });
        // Not a speed check: 10 s is far past a poll (2 s) plus its bound, far short of 120 s.
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(await metric(testApp, 'db_replica_read_fallbacks_total')).toBe(1);
      } finally {
        await testApp.close();
        await bouncer.stop();
        await pair.startStandby();
      }
    });
  });

  describe('two instances of the service', () => {
    it('with Redis, a key sees its write on the instance it did not write through', async () => {
      const prefix = `monitor-test:${randomBytes(4).toString('hex')}:`;
      const redisEnv = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: prefix };
      const first = await startWithReplica(pair.standbyUrl, redisEnv);
      const second = await startTestApp(
        { name: 'postgres', url: pair.primaryUrl },
        replicaEnv(pair.standbyUrl, redisEnv),
      );
      try {
        const alice = await userWithTwoKeys(first);
        await ingestSession(first, alice.key, { sessionId: 'chat', count: 2 });
        const onSecond = await readsOf(second, () => sessionTexts(second, alice.key, 'chat'));
        expect(onSecond).toEqual({ result: ['message 0', 'message 1'], primary: 1, replica: 0 });
        // The other key has no write to wait for: the replica answers, without it.
        expect(await sessionTexts(second, alice.otherKey, 'chat')).toEqual([]);
      } finally {
        await second.close();
        await first.close();
      }
    });

    it('without Redis, the other instance knows nothing of the write (what REDIS_URL is for)', async () => {
      const first = await startWithReplica(pair.standbyUrl);
      const second = await startTestApp(
        { name: 'postgres', url: pair.primaryUrl },
        replicaEnv(pair.standbyUrl),
      );
      try {
        const alice = await userWithTwoKeys(first);
        await ingestSession(first, alice.key, { sessionId: 'chat', count: 2 });
        expect(await sessionTexts(first, alice.key, 'chat')).toEqual(['message 0', 'message 1']);
        expect(await sessionTexts(second, alice.key, 'chat')).toEqual([]);
      } finally {
        await second.close();
        await first.close();
      }
    });
  });
  // Last: it ends the pair (the standby becomes a primary of its own).
  describe('a standby promoted behind the service', () => {
    it('gets no reads once it is no longer in recovery, and the writes stay on the primary', async () => {
      const testApp = await startWithReplica(pair.standbyUrl);
      try {
        const alice = await userWithTwoKeys(testApp);
        await ingestSession(testApp, alice.key, { sessionId: 'before', count: 1 });
        await pair.waitForReplay();
        await withClient(pair.standbyUrl, (client) => client.query('SELECT pg_promote(true, 30)'));
        await until(
          async () => (await metric(testApp, 'db_replica_state', { state: 'not_replica' })) === 1,
          'the promoted standby is seen as no replica',
        );
        const read = await readsOf(testApp, () => sessionTexts(testApp, alice.otherKey, 'before'));
        expect(read).toEqual({ result: ['message 0'], primary: 1, replica: 0 });

        await ingestSession(testApp, alice.key, { sessionId: 'after', count: 1 });
        const countOn = (url: string) =>
          withClient(url, async (client) => {
            const result = await client.query<{ count: string }>(
              `SELECT COUNT(*) AS "count" FROM "message" WHERE "session_id" = 'after'`,
            );
            return Number(result.rows[0].count);
          });
        expect(await countOn(pair.primaryUrl)).toBe(1);
        expect(await countOn(pair.standbyUrl)).toBe(0);
      } finally {
        await testApp.close();
      }
    });
  });
});
