import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { databaseEnv } from '../support/cli-runner';
import { dropTestDatabase, testDatabases } from '../support/databases';
import { ServiceProcess } from '../support/process-service';

// Real processes start from source through ts-node: slow, so the timeouts are generous.
jest.setTimeout(300_000);

const ADMIN_KEY = `sk-process-faults-admin-${'p'.repeat(32)}`;
const MESSAGES = '/api/v1/monitor/messages';

interface Outcome {
  status: number;
  body?: any;
  /** The network error's code when there was no answer (ECONNREFUSED once the listener closed). */
  error?: string;
}

async function call(
  service: ServiceProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<Outcome> {
  try {
    const response = await fetch(`${service.baseUrl}${path}`, {
      method,
      headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { status: 0, error: cause?.code ?? cause?.message ?? String(error) };
  }
}

function message(flowId: string, sessionId: string, text: string) {
  return { flow_id: flowId, session_id: sessionId, sender: 'User', sender_name: 'User', text };
}

async function seed(service: ServiceProcess, flowId: string, sessionId: string, count: number) {
  for (let offset = 0; offset < count; offset += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - offset) }, (_, index) =>
      message(flowId, sessionId, `m${offset + index}`),
    );
    const answer = await call(service, 'POST', MESSAGES, batch);
    if (answer.status !== 201) {
      throw new Error(`seeding failed: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  }
}

async function sessionCounts(
  service: ServiceProcess,
  flowId: string,
): Promise<Record<string, number>> {
  const answer = await call(service, 'GET', `${MESSAGES}?flow_id=${flowId}`);
  expect(answer.status).toBe(200);
  const counts: Record<string, number> = {};
  for (const item of answer.body as { session_id: string }[]) {
    counts[item.session_id] = (counts[item.session_id] ?? 0) + 1;
  }
  return counts;
}

for (const database of testDatabases()) {
  describe(`the service process under faults [${database.name}]`, () => {
    const env = {
      ...databaseEnv(database),
      MONITOR_SUPERUSER_API_KEY: ADMIN_KEY,
      LOG_LEVEL: 'warn',
    };
    const started: ServiceProcess[] = [];
    const start = async (extra: Record<string, string> = {}) => {
      const service = await ServiceProcess.start({ ...env, ...extra });
      started.push(service);
      return service;
    };

    afterAll(async () => {
      for (const service of started) {
        service.kill();
      }
      await dropTestDatabase(database);
    });

    it('kill -9 during a large rename loses nothing and splits nothing; the next process renames at once', async () => {
      const first = await start();
      const flowId = randomUUID();
      await seed(first, flowId, 'big', 30_000);
      const rename = call(first, 'PATCH', `${MESSAGES}/session/big?new_session_id=moved`);
      await new Promise((resolve) => setTimeout(resolve, 150));
      first.kill();
      await first.exited;
      const answer = await rename;

      const second = await start();
      const counts = await sessionCounts(second, flowId);
      expect(Object.values(counts)).toEqual([30_000]);
      if (answer.status === 200) {
        expect(counts).toEqual({ moved: 30_000 });
      }
      const [current] = Object.keys(counts);
      const again = await call(
        second,
        'PATCH',
        `${MESSAGES}/session/${current}?new_session_id=final`,
      );
      expect(again.status).toBe(200);
      expect(again.body).toHaveLength(30_000);
      expect((await second.stop('SIGTERM')).code).toBe(0);
    });

    it('SIGTERM under load answers every request it received, refuses the rest, and exits 0', async () => {
      // At info, so that the test sees when the signal has been taken.
      const service = await start({ LOG_LEVEL: 'info' });
      const flowId = randomUUID();
      // A large rename in flight when the signal comes (on SQLite it holds the event loop).
      await seed(service, flowId, 'large', 20_000);
      const outcomes: Outcome[] = [];
      const acknowledged: string[] = [];
      let stopping = false;
      const worker = async (index: number) => {
        for (let round = 0; ; round += 1) {
          const ingest = await call(service, 'POST', MESSAGES, [
            message(flowId, `w${index}`, `w${index}-${round}`),
          ]);
          outcomes.push(ingest);
          if (ingest.status === 201) {
            acknowledged.push((ingest.body as { id: string }[])[0].id);
          }
          if (ingest.status === 0) {
            return;
          }
          const list = await call(
            service,
            'GET',
            `${MESSAGES}?flow_id=${flowId}&session_id=w${index}`,
          );
          outcomes.push(list);
          // Ping-pong: w -> x, then x -> w (merging with what was ingested meanwhile).
          const [from, to] = round % 2 ? ['x', 'w'] : ['w', 'x'];
          const rename = await call(
            service,
            'PATCH',
            `${MESSAGES}/session/${from}${index}?new_session_id=${to}${index}`,
          );
          outcomes.push(rename);
          if (list.status === 0 || rename.status === 0 || (stopping && round > 1000)) {
            return;
          }
        }
      };
      // Sixteen clients each hold an idle keep-alive connection, made before the signal.
      const idle = new http.Agent({ keepAlive: true, maxSockets: 16 });
      const onIdle = (path: string) =>
        new Promise<{ status: number; body: string }>((resolve) => {
          const request = http.get(
            `${service.baseUrl}${path}`,
            { agent: idle, headers: { 'x-api-key': ADMIN_KEY } },
            (response) => {
              let body = '';
              response.setEncoding('utf8');
              response.on('data', (chunk: string) => (body += chunk));
              response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
              response.on('error', (error: NodeJS.ErrnoException) =>
                resolve({ status: 0, body: error.code ?? error.message }),
              );
            },
          );
          request.on('error', (error: NodeJS.ErrnoException) =>
            resolve({ status: 0, body: error.code ?? error.message }),
          );
        });
      const warm = await Promise.all(Array.from({ length: 16 }, () => onIdle('/health')));
      expect(warm.map((answer) => answer.status)).toEqual(Array(16).fill(200));

      const workers = Array.from({ length: 16 }, (_, index) => worker(index));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const large = call(service, 'PATCH', `${MESSAGES}/session/large?new_session_id=large2`);
      await new Promise((resolve) => setTimeout(resolve, 30));
      stopping = true;
      service.signal('SIGTERM');
      // Sent on the connections already open once the service has taken the signal: received, so
      // each is answered in full (closing idle keep-alive connections at once would reset them).
      while (!service.stdout.includes('SIGTERM received: shutting down')) {
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const onOpenConnections = Array.from({ length: 16 }, (_, index) =>
        onIdle(`${MESSAGES}?flow_id=${flowId}&session_id=w${index}`),
      );
      const [exit, largeAnswer, late] = await Promise.all([
        service.waitForExit(60_000),
        large,
        Promise.all(onOpenConnections),
      ]);
      await Promise.all(workers);
      idle.destroy();

      expect(exit.code).toBe(0);
      expect(largeAnswer.status).toBe(200);
      expect(largeAnswer.body).toHaveLength(20_000);
      expect(late.map((answer) => answer.status)).toEqual(Array(16).fill(200));
      for (const answer of late) {
        expect(Array.isArray(JSON.parse(answer.body))).toBe(true);
      }
      const answered = outcomes.filter((outcome) => outcome.status !== 0);
      expect(answered.length).toBeGreaterThan(16);
      // Every answer is a success and whole (a cut body would have failed its read). A request
      // without an answer never reached the service: its connection was refused, or reset while
      // it waited in the listen queue as the listener closed.
      expect(answered.filter((outcome) => outcome.status >= 300)).toEqual([]);
      expect(
        outcomes.filter(
          (outcome) =>
            outcome.status === 0 && !['ECONNREFUSED', 'ECONNRESET'].includes(outcome.error ?? ''),
        ),
      ).toEqual([]);

      const next = await start();
      const listed = await call(next, 'GET', `${MESSAGES}?flow_id=${flowId}`);
      const ids = (listed.body as { id: string; session_id: string }[])
        .filter((item) => !item.session_id.startsWith('large'))
        .map((item) => item.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual([...acknowledged].sort());
      expect((await next.stop('SIGTERM')).code).toBe(0);
    });
  });
}
