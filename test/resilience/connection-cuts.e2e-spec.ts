import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { UsersService } from '../../src/auth/users.service';
import { ingestSession } from '../factories/messages';
import { testDatabases, withSearchPath } from '../support/databases';
import { createDatabase, dropDatabase, PgBouncer } from '../support/pgbouncer';
import { CutKind, TcpProxy } from '../support/tcp-proxy';
import { startTestApp, TestApp } from '../support/test-app';

jest.setTimeout(180_000);

const postgres = testDatabases().find((database) => database.name === 'postgres');
const describePostgres = postgres ? describe : describe.skip;

/** From the cut to the answer (or to the end of a streamed one): the bound issue 16 asks for. */
const ANSWER_BOUND_MS = 1000;
/**
 * The service runs in this process: time in which its event loop could not run at all (a loaded
 * 2-core machine, a garbage collection) is added to the bound, as the service could not answer
 * then whatever its code does. A hang still shows: it waits on nothing the loop can do.
 */
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const loopStallMs = () => loopDelay.max / 1e6;
/** An answer not there by then hangs: the moment is recorded and the test goes on. */
const HANG_MS = 5000;
const UNAVAILABLE = JSON.stringify({ detail: 'Database unavailable' });
/** More than one cursor batch (1000 rows), so that a streamed answer has begun before the end. */
const BIG = 1500;

/** What the client saw of one answer, and when it ended. */
interface Outcome {
  /** Undefined when the connection ended before a status line. */
  status?: number;
  body: string;
  /** The whole body arrived (its length, or the last chunk). */
  complete: boolean;
  hung: boolean;
  endedAt: number;
}

/** One request over a connection of its own, timed to its very end, never waiting past HANG_MS. */
function send(port: number, method: string, path: string, key: string): Promise<Outcome> {
  return new Promise((resolve) => {
    let body = '';
    let status: number | undefined;
    let settled = false;
    const finish = (complete: boolean, hung = false) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve({ status, body, complete, hung, endedAt: performance.now() });
      }
    };
    const request = http.request({
      host: '127.0.0.1',
      port,
      method,
      path,
      headers: { 'x-api-key': key },
      agent: false,
    });
    const timer = setTimeout(() => {
      finish(false, true);
      request.destroy();
    }, HANG_MS);
    request.on('response', (response) => {
      status = response.statusCode;
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => finish(response.complete));
      response.on('error', () => undefined);
      response.on('close', () => finish(response.complete));
    });
    request.on('error', () => finish(false));
    request.end();
  });
}

/** A request to cut, and whether an answer to it tells the truth (if not, a sentence why). */
interface Trial {
  method: string;
  path: string;
  judge(outcome: Outcome): Promise<string | undefined>;
}

/** A kind of request, ready to be sent again and again. */
interface Scenario {
  name: string;
  /** Moments to cut at, from the message count of one uncut run. */
  moments(messages: number): number[];
  next(): Promise<Trial>;
}

/** Every message of a short exchange. */
const everyMessage = (messages: number) => Array.from({ length: messages }, (_, i) => i + 1);

/** A long exchange: its start and its end message by message, a few points between. */
function edgesAndSamples(messages: number): number[] {
  const points = new Set<number>();
  for (let i = 1; i <= Math.min(16, messages); i += 1) {
    points.add(i);
    points.add(messages + 1 - i);
  }
  for (let i = 1; i < 6; i += 1) {
    points.add(Math.round((messages * i) / 6));
  }
  return [...points].filter((point) => point >= 1).sort((a, b) => a - b);
}

/** A streamed answer: a 503 before it began, or a 200 that is complete or visibly cut. */
function judgeStream(outcome: Outcome, count: (body: string) => number, expected: number) {
  if (outcome.status === 503) {
    return outcome.body === UNAVAILABLE ? undefined : `503 with ${outcome.body}`;
  }
  if (outcome.status !== 200) {
    return `status ${outcome.status}`;
  }
  if (outcome.complete && count(outcome.body) !== expected) {
    return `a complete 200 with ${count(outcome.body)} items, not ${expected}`;
  }
  return undefined;
}

const jsonItems = (body: string) => (JSON.parse(body) as unknown[]).length;
const ndjsonItems = (body: string) => (body === '' ? 0 : body.trimEnd().split('\n').length);

/**
 * Issue 16: a request whose PostgreSQL connection dies under it (a reset, a crash, a restart, a
 * pooler going away) is answered at once, whatever it was doing: a 503, or a 200 that tells the
 * truth; a streamed answer already begun ends (cut) instead of hanging. The service reaches the
 * database through a proxy that cuts every connection right after the n-th protocol message of a
 * request, for every n of short requests and many of long ones, by a FIN or a reset; the
 * statement timeout stays long, so that nothing but the fix can answer in time.
 */
describePostgres('a database connection that dies under a request [postgres]', () => {
  const routes: { name: string; bouncer: boolean }[] = [
    { name: 'direct', bouncer: false },
    { name: 'via pgbouncer', bouncer: true },
  ];
  for (const route of routes) {
    describe(route.name, () => {
      let proxy: TcpProxy;
      let testApp: TestApp;
      let bouncer: PgBouncer | undefined;
      let bouncerDatabase: string | undefined;
      let checks: Client;
      let key: string;
      let port: number;

      beforeAll(async () => {
        let target = postgres!.url;
        let checkUrl = withSearchPath(postgres!.url, postgres!.schema);
        let database = postgres!;
        if (route.bouncer) {
          bouncerDatabase = `e2e_cuts_${randomUUID().slice(0, 8)}`;
          await createDatabase(postgres!.url, bouncerDatabase);
          bouncer = await PgBouncer.start(postgres!.url, { poolMode: 'transaction' });
          target = bouncer.url(bouncerDatabase);
          const direct = new URL(postgres!.url);
          direct.pathname = `/${bouncerDatabase}`;
          checkUrl = direct.toString();
          database = { name: 'postgres', url: target };
        }
        const front = await TcpProxy.inFrontOf(target);
        proxy = front.proxy;
        testApp = await startTestApp(
          { ...database, url: front.url },
          { DATABASE_STATEMENT_TIMEOUT: '60', HEALTH_CHECK_TIMEOUT: '1' },
        );
        ({
          apiKey: { plainKey: key },
        } = await testApp.app.get(UsersService).create('cut-user'));
        port = (testApp.app.getHttpServer().address() as { port: number }).port;
        checks = new Client({ connectionString: checkUrl });
        await checks.connect();
      });

      afterAll(async () => {
        await checks?.end();
        await testApp?.close();
        await proxy?.stop();
        await bouncer?.stop();
        if (bouncerDatabase) {
          await dropDatabase(postgres!.url, bouncerDatabase);
        }
      });

      /**
       * The sessions of a flow and how many messages each has, read beside the proxy once no
       * transaction is writing them any more: a COMMIT whose answer was cut may still be landing.
       */
      async function sessionCounts(flowId: string): Promise<Record<string, number>> {
        await checks.query('BEGIN');
        try {
          await checks.query('SELECT 1 FROM "message" WHERE "flow_id" = $1 FOR UPDATE', [flowId]);
          const { rows } = await checks.query<{ session_id: string; count: string }>(
            'SELECT "session_id", COUNT(*) AS "count" FROM "message" WHERE "flow_id" = $1 GROUP BY 1',
            [flowId],
          );
          return Object.fromEntries(rows.map((row) => [row.session_id, Number(row.count)]));
        } finally {
          await checks.query('COMMIT');
        }
      }

      async function waitUntilReady(): Promise<void> {
        for (let attempt = 0; attempt < 100; attempt += 1) {
          const outcome = await send(port, 'GET', '/health_check', key);
          if (outcome.status === 200) {
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error('the service did not recover');
      }

      /** A rename of `count` messages: all moved with a 200, or a 503 and all or none moved. */
      function renames(count: number, options: { newConnection?: boolean } = {}): Scenario {
        // Session ids are the owner's across flows: each rename has names of its own.
        let names: [string, string] = ['', ''];
        let flowId: string | undefined;
        return {
          name: `rename of ${count}${options.newConnection ? ' on a new connection' : ''}`,
          // On a new connection: its opening, and the request's first statement.
          moments: options.newConnection
            ? (messages) => everyMessage(Math.min(messages, 30))
            : count > 1000
              ? edgesAndSamples
              : everyMessage,
          async next() {
            // A small rename gets a new session each time; a big one goes back and forth.
            if (count <= 1000 || flowId === undefined) {
              flowId = randomUUID();
              names = [`r-${flowId}`, `r-${flowId}-moved`];
              await ingestSession(testApp, key, { flowId, sessionId: names[0], count });
            }
            if (options.newConnection) {
              // The pool drops its idle connections: the request opens one.
              proxy.cutAll();
              await new Promise((resolve) => setTimeout(resolve, 100));
            }
            const [from, to] = names;
            const flow = flowId;
            return {
              method: 'PATCH',
              path: `/api/v1/monitor/messages/session/${from}?new_session_id=${to}`,
              judge: async (outcome) => {
                const counts = await sessionCounts(flow);
                const moved = counts[to] === count && Object.keys(counts).length === 1;
                const stayed = counts[from] === count && Object.keys(counts).length === 1;
                if (moved) {
                  names = [to, from];
                }
                if (!moved && !stayed) {
                  return `half a rename in the database: ${JSON.stringify(counts)}`;
                }
                if (outcome.status === 503) {
                  return outcome.body === UNAVAILABLE ? undefined : `503 with ${outcome.body}`;
                }
                if (outcome.status !== 200 || !outcome.complete) {
                  return `status ${outcome.status}, ${outcome.complete ? 'complete' : 'cut'}`;
                }
                if (!moved || jsonItems(outcome.body) !== count) {
                  return `a 200 with ${jsonItems(outcome.body)} items: ${JSON.stringify(counts)}`;
                }
                return undefined;
              },
            };
          },
        };
      }

      /** A streamed read of `count` messages: the list, the export, or the session ids. */
      function reads(kind: 'list' | 'export' | 'sessions', count: number): Scenario {
        let flowId: string | undefined;
        return {
          name: `${kind} of ${count}`,
          moments: count > 1000 ? edgesAndSamples : everyMessage,
          async next() {
            if (flowId === undefined) {
              flowId = randomUUID();
              await ingestSession(testApp, key, { flowId, sessionId: `s-${flowId}`, count });
            }
            const path = {
              list: `/api/v1/monitor/messages?flow_id=${flowId}`,
              export: `/api/v1/monitor/messages/export?flow_id=${flowId}`,
              sessions: `/api/v1/monitor/messages/sessions?flow_id=${flowId}`,
            }[kind];
            const items = kind === 'export' ? ndjsonItems : jsonItems;
            const expected = kind === 'sessions' ? 1 : count;
            return {
              method: 'GET',
              path,
              judge: (outcome) => Promise.resolve(judgeStream(outcome, items, expected)),
            };
          },
        };
      }

      /** The readiness probe: its own query must not hang either. */
      const readiness: Scenario = {
        name: 'health check',
        moments: everyMessage,
        next: () =>
          Promise.resolve({
            method: 'GET',
            path: '/health_check',
            judge: (outcome) => {
              const up = outcome.status === 200 && outcome.body === '{"status":"ok","db":"ok"}';
              const down =
                outcome.status === 503 && outcome.body === '{"status":"error","db":"error"}';
              return Promise.resolve(
                up || down ? undefined : `status ${outcome.status} with ${outcome.body}`,
              );
            },
          }),
      };

      /** Adds to `failures` what is wrong with one answer to a cut request. */
      async function check(
        where: string,
        trial: Trial,
        outcome: Outcome,
        cutAt: number | undefined,
        failures: string[],
      ): Promise<void> {
        if (outcome.hung) {
          failures.push(`${where}: no answer after ${HANG_MS} ms`);
        } else if (
          cutAt !== undefined &&
          outcome.endedAt - cutAt > ANSWER_BOUND_MS + loopStallMs()
        ) {
          const stall = Math.round(loopStallMs());
          failures.push(
            `${where}: answered ${Math.round(outcome.endedAt - cutAt)} ms after (loop stalled ${stall} ms)`,
          );
        }
        const wrong = await trial.judge(outcome);
        if (wrong) {
          failures.push(`${where}: ${wrong}`);
        }
      }

      /** The service recovered by itself: a rename works and nothing is left locked. */
      async function expectRecovered(): Promise<void> {
        await waitUntilReady();
        const trial = await renames(3).next();
        const outcome = await send(port, trial.method, trial.path, key);
        expect(outcome.status).toBe(200);
        expect(await trial.judge(outcome)).toBeUndefined();
      }

      it('answers every request within a second of a cut, at every moment of a request and among others in flight, and recovers', async () => {
        const scenarios = [
          renames(3),
          renames(3, { newConnection: true }),
          reads('list', 3),
          reads('export', 3),
          reads('sessions', 3),
          readiness,
          renames(BIG),
          reads('list', BIG),
          reads('export', BIG),
        ];
        const failures: string[] = [];
        let trials = 0;
        let cuts = 0;
        for (const scenario of scenarios) {
          // One uncut run lists the protocol messages the request exchanges.
          const dry = await scenario.next();
          proxy.cutAfterMessages(Number.POSITIVE_INFINITY);
          const uncut = await send(port, dry.method, dry.path, key);
          const { seen } = await proxy.disarm();
          expect(uncut.status).toBe(200);
          expect(await dry.judge(uncut)).toBeUndefined();

          for (const [index, moment] of scenario.moments(seen.length).entries()) {
            const kind: CutKind = index % 2 === 0 ? 'close' : 'reset';
            const trial = await scenario.next();
            loopDelay.reset();
            proxy.cutAfterMessages(moment, kind);
            const outcome = await send(port, trial.method, trial.path, key);
            const { cutAt } = await proxy.disarm();
            const message = `${moment} of ${seen.length} (${seen[moment - 1]})`;
            await check(
              `${scenario.name}, ${kind} after message ${message}`,
              trial,
              outcome,
              cutAt,
              failures,
            );
            trials += 1;
            if (cutAt !== undefined) {
              cuts += 1;
              await waitUntilReady();
            }
          }
        }
        expect(cuts).toBeGreaterThan(trials / 2);

        // Then many requests at once, cut at varied times: in the pool's hands, between
        // statements, in the middle of some, after others.
        const together = [
          renames(3),
          renames(3),
          reads('list', 3),
          reads('sessions', 3),
          reads('export', BIG),
          readiness,
        ];
        for (let round = 0; round < 16; round += 1) {
          const batch: Trial[] = [];
          for (const scenario of together) {
            batch.push(await scenario.next());
          }
          loopDelay.reset();
          const outcomes = batch.map((trial) => send(port, trial.method, trial.path, key));
          const delayMs = (round * 7) % 40;
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          const kind: CutKind = round % 2 === 0 ? 'close' : 'reset';
          const cutAt = proxy.cutAll(kind);
          for (const [index, outcome] of (await Promise.all(outcomes)).entries()) {
            const where = `${together[index].name} among others, ${kind} after ${delayMs} ms`;
            await check(where, batch[index], outcome, cutAt, failures);
          }
          await waitUntilReady();
        }
        expect(failures).toEqual([]);
        await expectRecovered();
      });
    });
  }
});
