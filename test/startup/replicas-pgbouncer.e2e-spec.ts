import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { spawn } from 'node:child_process';
import { childEnv, PROJECT_ROOT, ProcessResult } from '../support/cli-runner';
import { testDatabases } from '../support/databases';
import { createDatabase, dropDatabase, PgBouncer, PoolMode } from '../support/pgbouncer';
import { ServiceProcess } from '../support/process-service';

// Real processes start from source through ts-node: slow, so the timeouts are generous.
jest.setTimeout(240_000);

const postgres = testDatabases().find((database) => database.name === 'postgres');
const describePostgres = postgres ? describe : describe.skip;

const ADMIN_KEY = `sk-replica-admin-key-${'r'.repeat(32)}`;
const SCHEMA = 'tenant_a';
const OUR_TABLES = ['api_key', 'flow', 'message', 'migrations', 'user'];

async function query<T>(url: string, sql: string, parameters: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, parameters)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Sends a request to a replica; a refused connection counts as status 0. */
async function call(
  service: ServiceProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  try {
    const response = await fetch(`${service.baseUrl}${path}`, {
      method,
      headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  } catch {
    return { status: 0, body: undefined };
  }
}

describePostgres('replicas behind PgBouncer [postgres via pgbouncer]', () => {
  let database: string;
  let directUrl: string;
  const bouncers: PgBouncer[] = [];
  const services: ServiceProcess[] = [];

  const startBouncer = async (poolMode: PoolMode) => {
    const bouncer = await PgBouncer.start(postgres!.url, { poolMode, poolSize: 4 });
    bouncers.push(bouncer);
    return bouncer;
  };
  const replicaEnv = (bouncer: PgBouncer, extra: Record<string, string> = {}) => ({
    DATABASE_URL: bouncer.url(database),
    DATABASE_SCHEMA: SCHEMA,
    MONITOR_SUPERUSER_API_KEY: ADMIN_KEY,
    LOG_LEVEL: 'warn',
    ...extra,
  });
  const startReplica = async (env: Record<string, string>) => {
    const service = await ServiceProcess.start(env);
    services.push(service);
    return service;
  };

  beforeEach(async () => {
    database = `e2e_replicas_${randomBytes(5).toString('hex')}`;
    await createDatabase(postgres!.url, database);
    const url = new URL(postgres!.url);
    url.pathname = `/${database}`;
    directUrl = url.toString();
  });

  afterEach(async () => {
    for (const service of services.splice(0)) {
      service.kill();
    }
    for (const bouncer of bouncers.splice(0)) {
      await bouncer.stop();
    }
    await dropDatabase(postgres!.url, database);
  });

  const expectMigratedOnceInSchema = async () => {
    const tables = await query<{ table_schema: string; table_name: string }>(
      directUrl,
      `SELECT table_schema, table_name FROM information_schema.tables
       WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 2`,
    );
    // Every table is in the schema, none in public.
    expect(tables.filter((table) => table.table_schema !== SCHEMA)).toEqual([]);
    expect(tables.map((table) => table.table_name)).toEqual(expect.arrayContaining(OUR_TABLES));
    const migrations = await query<{ name: string }>(
      directUrl,
      `SELECT "name" FROM "${SCHEMA}"."migrations"`,
    );
    expect(new Set(migrations.map((row) => row.name)).size).toBe(migrations.length);
    expect(migrations.length).toBeGreaterThan(0);
    const locks = await query<{ count: string }>(
      directUrl,
      // The migration lock's key (pg_locks is server-wide: other tests hold their own locks).
      `SELECT COUNT(*) AS "count" FROM pg_locks WHERE locktype = 'advisory' AND objid = 731404221
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    expect(Number(locks[0].count)).toBe(0);
  };

  it('three replicas starting together through transaction mode migrate once, into DATABASE_SCHEMA, and a rolling restart under load answers no 5xx', async () => {
    const bouncer = await startBouncer('transaction');
    const replicas = await Promise.all([1, 2, 3].map(() => startReplica(replicaEnv(bouncer))));
    await expectMigratedOnceInSchema();
    for (const replica of replicas) {
      expect((await call(replica, 'GET', '/health_check')).status).toBe(200);
    }

    // Load on the first replica while the others restart one by one.
    const flowId = randomUUID();
    const statuses: number[] = [];
    let acknowledged = 0;
    let stop = false;
    const load = (async () => {
      for (let round = 0; !stop; round += 1) {
        const ingest = await call(replicas[0], 'POST', '/api/v1/monitor/messages', [
          {
            flow_id: flowId,
            session_id: `s${round % 3}`,
            sender: 'User',
            sender_name: 'User',
            text: `m${round}`,
          },
        ]);
        statuses.push(ingest.status);
        if (ingest.status === 201) {
          acknowledged += 1;
        }
        const rename = await call(
          replicas[0],
          'PATCH',
          `/api/v1/monitor/messages/session/s${round % 3}?new_session_id=s${(round + 1) % 3}` +
            (round % 2 ? '&on_conflict=reject' : ''),
        );
        statuses.push(rename.status);
        statuses.push(
          (await call(replicas[0], 'GET', `/api/v1/monitor/messages?flow_id=${flowId}`)).status,
        );
      }
    })();
    for (const index of [1, 2]) {
      const old = replicas[index];
      const result = await old.stop('SIGTERM');
      expect(result.code).toBe(0);
      replicas[index] = await startReplica(replicaEnv(bouncer));
      expect((await call(replicas[index], 'GET', '/health_check')).status).toBe(200);
    }
    stop = true;
    await load;

    expect(statuses.filter((status) => status >= 500 || status === 0)).toEqual([]);
    expect(statuses.length).toBeGreaterThan(10);
    const listed = await call(replicas[2], 'GET', `/api/v1/monitor/messages?flow_id=${flowId}`);
    expect(listed.status).toBe(200);
    expect(listed.body).toHaveLength(acknowledged);
    expect(new Set((listed.body as { id: string }[]).map((message) => message.id)).size).toBe(
      acknowledged,
    );
    await expectMigratedOnceInSchema();
  });

  it('two replicas through transaction mode take mixed renames (merge and reject), ingests, lists and exports, then a rolling restart of one under load from the other: no 5xx, every message exactly once', async () => {
    const bouncer = await startBouncer('transaction');
    const replicas = await Promise.all([1, 2].map(() => startReplica(replicaEnv(bouncer))));
    const flowId = randomUUID();
    const acknowledged: string[] = [];
    const failures: string[] = [];
    let rounds = 0;
    const expectAnswer = (what: string, status: number, allowed: number[]) => {
      if (!allowed.includes(status)) {
        failures.push(`${what}: ${status}`);
      }
    };
    const exportLines = async (replica: ServiceProcess): Promise<number> => {
      try {
        const response = await fetch(
          `${replica.baseUrl}/api/v1/monitor/messages/export?flow_id=${flowId}`,
          { headers: { 'x-api-key': ADMIN_KEY } },
        );
        const text = await response.text();
        for (const line of text.split('\n').filter(Boolean)) {
          JSON.parse(line);
        }
        return response.status;
      } catch {
        return 0;
      }
    };
    const worker = async (index: number, targets: () => ServiceProcess[], until: () => boolean) => {
      for (let round = 0; !until(); round += 1) {
        const pick = targets();
        const replica = pick[(index + round) % pick.length];
        const [from, to] = [`s${(index + round) % 4}`, `s${(index + round + 1) % 4}`];
        const ingest = await call(replica, 'POST', '/api/v1/monitor/messages', [
          {
            flow_id: flowId,
            session_id: from,
            sender: 'User',
            sender_name: 'User',
            text: `w${index}r${round}`,
          },
        ]);
        expectAnswer('ingest', ingest.status, [201]);
        if (ingest.status === 201) {
          acknowledged.push((ingest.body as { id: string }[])[0].id);
        }
        const rename = await call(
          replica,
          'PATCH',
          `/api/v1/monitor/messages/session/${from}?new_session_id=${to}` +
            (round % 2 ? '&on_conflict=reject' : ''),
        );
        // 404: another worker moved the session first; 409: a rejecting rename met a session.
        expectAnswer('rename', rename.status, [200, 404, 409]);
        const list = await call(replica, 'GET', `/api/v1/monitor/messages?flow_id=${flowId}`);
        expectAnswer('list', list.status, [200]);
        if (round % 5 === 0) {
          expectAnswer('export', await exportLines(replica), [200]);
        }
        rounds += 1;
      }
    };

    // Mixed load split across both replicas.
    const seconds = Number(process.env.REPLICA_LOAD_SECONDS ?? 10);
    const mixedUntil = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        worker(
          index,
          () => replicas,
          () => Date.now() > mixedUntil,
        ),
      ),
    );
    const mixedRounds = rounds;

    // A rolling restart of the second replica while the first carries the load.
    let restarted = false;
    const load = Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        worker(
          index,
          () => [replicas[0]],
          () => restarted,
        ),
      ),
    );
    const result = await replicas[1].stop('SIGTERM');
    expect(result.code).toBe(0);
    replicas[1] = await startReplica(replicaEnv(bouncer));
    expect((await call(replicas[1], 'GET', '/health_check')).status).toBe(200);
    restarted = true;
    await load;

    expect(failures).toEqual([]);
    expect(mixedRounds).toBeGreaterThan(20);
    expect(rounds).toBeGreaterThan(mixedRounds);
    for (const replica of replicas) {
      const listed = await call(replica, 'GET', `/api/v1/monitor/messages?flow_id=${flowId}`);
      const ids = (listed.body as { id: string }[]).map((message) => message.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual([...acknowledged].sort());
    }
  });

  it('session mode serves the same, with the tables in DATABASE_SCHEMA', async () => {
    const bouncer = await startBouncer('session');
    const replica = await startReplica(replicaEnv(bouncer));
    await expectMigratedOnceInSchema();
    const flowId = randomUUID();
    const stored = await call(replica, 'POST', '/api/v1/monitor/messages', [
      { flow_id: flowId, session_id: 'a', sender: 'User', sender_name: 'User', text: 'hi' },
    ]);
    expect(stored.status).toBe(201);
    const renamed = await call(
      replica,
      'PATCH',
      '/api/v1/monitor/messages/session/a?new_session_id=b&on_conflict=reject',
    );
    expect(renamed.status).toBe(200);
    expect(renamed.body).toEqual([expect.objectContaining({ session_id: 'b', text: 'hi' })]);
  });

  it('MIGRATIONS_RUN=false leaves migrating to `npm run migration:run`, run as a job through PgBouncer', async () => {
    const bouncer = await startBouncer('transaction');
    const env = replicaEnv(bouncer, { MIGRATIONS_RUN: 'false' });
    // Nothing migrates on start, so a first start on an empty database cannot create its superuser.
    const unmigrated = ServiceProcess.spawn({ ...env, PORT: '0' });
    services.push(unmigrated);
    const failed = await unmigrated.waitForExit(120_000);
    expect(failed.code).not.toBe(0);
    expect(
      await query(
        directUrl,
        `SELECT 1 FROM information_schema.tables WHERE table_name = 'migrations'`,
      ),
    ).toEqual([]);

    const job = await runScript(['run', '--silent', 'migration:run'], env);
    expect(job.code).toBe(0);
    await expectMigratedOnceInSchema();
    const replica = await startReplica(env);
    expect((await call(replica, 'GET', '/health_check')).status).toBe(200);
  });
});

/** `npm <args>` from the project root with `env`, as a pipeline's job runs it. */
function runScript(args: string[], env: Record<string, string>): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, {
      cwd: PROJECT_ROOT,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: output, stderr: '' }));
  });
}
