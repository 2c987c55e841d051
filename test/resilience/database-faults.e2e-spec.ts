import { randomUUID } from 'node:crypto';
import { UsersService } from '../../src/auth/users.service';
import { ingestSession } from '../factories/messages';
import { testDatabases } from '../support/databases';
import { StalledClient } from '../support/stalled-client';
import { TcpProxy } from '../support/tcp-proxy';
import { startTestApp, TestApp } from '../support/test-app';

jest.setTimeout(120_000);

const postgres = testDatabases().find((database) => database.name === 'postgres');
const describePostgres = postgres ? describe : describe.skip;

/** Tight bounds, so that a fault turns into an answer in about two seconds. */
const BOUNDS = {
  DATABASE_CONNECT_TIMEOUT: '1',
  DATABASE_STATEMENT_TIMEOUT: '1',
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT: '1',
  HEALTH_CHECK_TIMEOUT: '1',
};

/** A request that must answer: a hang fails the test instead of stalling it. */
async function answered(
  testApp: TestApp,
  method: string,
  path: string,
  key?: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const { port } = testApp.app.getHttpServer().address() as { port: number };
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { ...(key ? { 'x-api-key': key } : {}), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function waitUntilReady(testApp: TestApp): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if ((await answered(testApp, 'GET', '/health_check')).status === 200) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the service did not recover');
}

async function sessionCounts(testApp: TestApp, flowId: string): Promise<Record<string, number>> {
  const rows = await testApp.dataSource.query<{ session_id: string; count: string }[]>(
    `SELECT "session_id", COUNT(*) AS "count" FROM "message" WHERE "flow_id" = $1 GROUP BY 1`,
    [flowId],
  );
  return Object.fromEntries(rows.map((row) => [row.session_id, Number(row.count)]));
}

/**
 * The service reaches PostgreSQL through a TCP proxy that can cut every connection (a reset, a
 * restart) or silently drop everything (a partition, which TCP alone takes minutes to notice).
 * The test's own checks read the database directly, beside the proxy.
 */
describePostgres('database faults between the service and PostgreSQL [postgres]', () => {
  let proxy: TcpProxy;
  let testApp: TestApp;
  let key: string;

  beforeAll(async () => {
    const front = await TcpProxy.inFrontOf(postgres!.url);
    proxy = front.proxy;
    testApp = await startTestApp({ ...postgres!, url: front.url }, BOUNDS);
    ({
      apiKey: { plainKey: key },
    } = await testApp.app.get(UsersService).create('fault-user'));
  });

  afterEach(async () => {
    proxy.heal();
    await proxy.start();
    await waitUntilReady(testApp);
  });

  afterAll(async () => {
    await testApp?.close();
    await proxy?.stop();
  });

  it('a silent partition answers 503 within the bounds, /health_check too, and the service recovers by itself; no acknowledged write is lost', async () => {
    const flowId = randomUUID();
    const acknowledged = await ingestSession(testApp, key, { flowId, sessionId: 'p', count: 5 });

    proxy.partition();
    const readiness = await answered(testApp, 'GET', '/health_check');
    expect(readiness).toEqual({ status: 503, body: { status: 'error', db: 'error' } });
    expect((await answered(testApp, 'GET', '/health')).status).toBe(200);
    const list = await answered(testApp, 'GET', `/api/v1/monitor/messages?flow_id=${flowId}`, key);
    expect(list).toEqual({ status: 503, body: { detail: 'Database unavailable' } });
    const ingest = await answered(testApp, 'POST', '/api/v1/monitor/messages', key, [
      { flow_id: flowId, session_id: 'p', sender: 'User', sender_name: 'User', text: 'during' },
    ]);
    expect(ingest).toEqual({ status: 503, body: { detail: 'Database unavailable' } });

    proxy.heal();
    await waitUntilReady(testApp);
    const after = await answered(testApp, 'GET', `/api/v1/monitor/messages?flow_id=${flowId}`, key);
    expect(after.status).toBe(200);
    const ids = new Set((after.body as { id: string }[]).map((message) => message.id));
    for (const message of acknowledged) {
      expect(ids.has(message.id)).toBe(true);
    }
  });

  for (const fault of ['reset', 'partition'] as const) {
    it(`a rename in flight when the connection suffers a ${fault} is all or nothing, and its answer tells the truth`, async () => {
      const flowId = randomUUID();
      await ingestSession(testApp, key, { flowId, sessionId: 'big', count: 5000 });
      const rename = answered(
        testApp,
        'PATCH',
        `/api/v1/monitor/messages/session/big?new_session_id=moved`,
        key,
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (fault === 'reset') {
        await proxy.stop();
      } else {
        proxy.partition();
      }
      const answer = await rename;
      expect([200, 503]).toContain(answer.status);
      proxy.heal();
      await proxy.start();
      await waitUntilReady(testApp);

      // Whatever the server did with a transaction it lost its client in, it ends within the
      // idle-in-transaction bound; until then the old rows are what a reader sees.
      let counts: Record<string, number> = {};
      for (let attempt = 0; attempt < 50; attempt += 1) {
        counts = await sessionCounts(testApp, flowId);
        const busy = await testApp.dataSource.query<unknown[]>(
          `SELECT 1 FROM pg_stat_activity WHERE state LIKE 'idle in transaction%' AND application_name = 'monitor-service'`,
        );
        if (busy.length === 0) {
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      counts = await sessionCounts(testApp, flowId);
      expect(Object.values(counts)).toEqual([5000]);
      if (answer.status === 200) {
        expect(counts).toEqual({ moved: 5000 });
        expect(answer.body).toHaveLength(5000);
      }
      // Nothing is left locked: the session renames again at once.
      const [current] = Object.keys(counts);
      const again = await answered(
        testApp,
        'PATCH',
        `/api/v1/monitor/messages/session/${current}?new_session_id=final`,
        key,
      );
      expect(again.status).toBe(200);
      expect(again.body).toHaveLength(5000);
    });
  }

  it('a streamed list whose connection dies mid-read ends (complete or cut), never hangs, and frees its connection', async () => {
    const flowId = randomUUID();
    await ingestSession(testApp, key, { flowId, sessionId: 'export', count: 20_000 });
    const { port } = testApp.app.getHttpServer().address() as { port: number };
    const reader = await StalledClient.open(
      `http://127.0.0.1:${port}`,
      'GET',
      `/api/v1/monitor/messages/export?flow_id=${flowId}`,
      { 'x-api-key': key },
    );
    expect(reader.status).toBe(200);
    await proxy.stop();
    const { body, complete } = await reader.resume();
    if (complete) {
      expect(body.trim().split('\n')).toHaveLength(20_000);
    } else {
      expect(body.length).toBeGreaterThan(0);
    }
    await proxy.start();
    await waitUntilReady(testApp);
    const list = await answered(testApp, 'GET', `/api/v1/monitor/messages?flow_id=${flowId}`, key);
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(20_000);
  });
});
