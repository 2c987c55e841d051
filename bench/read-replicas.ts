import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateApiKey } from '../src/auth/api-key-format';
import { SUPERUSER_NAME } from '../src/auth/superuser.bootstrap';
import { StandbyPair } from '../test/support/hot-standby';
import { ensureBuilt } from './build';
import { BenchDatabase, openBenchDatabase } from './database';
import { HttpClient } from './http';
import { LoadResult, LoadSamples, NextRequest, runLoad } from './load';
import { currentLoadAverage, describeMachine, describeSource, machineLine } from './machine';
import { RESULTS_DIR, ROOT, WORK_DIR } from './paths';
import { NodeRuntime } from './node-runtime';
import { ServiceProcess } from './service';
import { round } from './stats';

const USAGE = `Usage: npm run bench:replicas [-- options]

Reads from a PostgreSQL streaming replica (issue 19 point 6): the same loads against two service
processes running side by side on the same data, "primary only" (DATABASE_URL) and "with a
replica" (DATABASE_READ_URLS = a hot standby of that primary), interleaved in rounds. The bench
makes its own primary + hot standby pair (test/support/hot-standby.ts: initdb and pg_basebackup
from /usr/lib/postgresql/*/bin, run as the postgres user when root) and removes it at the end.

Loads (closed loop, each connection sends its next request when the answer has been read):
  list     GET /api/v1/monitor/messages?session_id=<random seeded session>, by a key that never
           writes
  export   GET /api/v1/monitor/messages/export: every seeded message, as NDJSON
  mixed    one other key: POST one message, then list that message's session, again and again;
           where the reads went comes from the service's /metrics (db_reads_total)
Prints a Markdown table (both contenders side by side, and with replica / primary only) and
writes it to read-replicas-postgres.md.

  --quick           a short run (2 rounds of 2 s loads); written to bench/.work/results/
  --out DIR         where to write read-replicas-postgres.md (default: bench/results/ for a full
                    run)
  --rounds N        rounds, each running every load once per contender (default 4)
  --seconds N       measured seconds of each load in a round, after a 1 s warm-up (default 5)
  --connections N   concurrent connections of each load (default 8)
  --sessions N      seeded sessions (default 200) ...
  --messages N      ... of N messages each (default 50)
  --node PATH       run both services under this Node binary (default: the one running the bench,
                    which keeps the load generator), e.g. Node 24 from .ci/node-from-npm
  --help            this text

BENCH_PROFILE_DIR=DIR runs both services with --cpu-prof (a profile each in DIR, named by pid,
for bench/profile-summary.ts).
`;

const MESSAGES = '/api/v1/monitor/messages';
/** Messages the mixed load writes to one session before moving on to the next. */
const MIXED_SESSION_MESSAGES = 20;

interface Options {
  quick: boolean;
  out: string;
  rounds: number;
  seconds: number;
  connections: number;
  sessions: number;
  messages: number;
  node?: string;
}

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const options: Options = {
    quick,
    out: quick ? path.join(WORK_DIR, 'results') : RESULTS_DIR,
    rounds: quick ? 2 : 4,
    seconds: quick ? 2 : 5,
    connections: 8,
    sessions: 200,
    messages: 50,
  };
  const counts = {
    '--rounds': 'rounds',
    '--seconds': 'seconds',
    '--connections': 'connections',
    '--sessions': 'sessions',
    '--messages': 'messages',
  } as const;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (arg === '--node') {
      options.node = argv[(i += 1)];
    } else if (arg === '--out') {
      options.out = path.resolve(argv[(i += 1)] ?? '');
    } else if (arg in counts) {
      const value = Number(argv[(i += 1)]);
      if (!Number.isInteger(value) || value < 1) {
        process.stderr.write(`${arg} needs a whole number of at least 1\n`);
        process.exit(2);
      }
      options[counts[arg as keyof typeof counts]] = value;
    } else if (arg !== '--quick') {
      process.stderr.write(`Unknown option ${arg}\n\n${USAGE}`);
      process.exit(2);
    }
  }
  return options;
}

/** Reads served by the primary and by replicas, as db_reads_total counts them. */
interface ReadCounts {
  primary: number;
  replica: number;
}

/** The samples of one metric in the service's /metrics, by their label text. */
async function scrape(service: ServiceProcess, name: string): Promise<Map<string, number>> {
  const client = new HttpClient(service.baseUrl, 1);
  try {
    const response = await client.request('GET', '/metrics', {}, true);
    const samples = new Map<string, number>();
    for (const line of (response.body ?? '').split('\n')) {
      if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
        const space = line.lastIndexOf(' ');
        samples.set(line.slice(name.length, space), Number(line.slice(space + 1)));
      }
    }
    return samples;
  } finally {
    client.close();
  }
}

async function readCounts(service: ServiceProcess): Promise<ReadCounts> {
  const counts = { primary: 0, replica: 0 };
  for (const [labels, value] of await scrape(service, 'db_reads_total')) {
    counts[labels === '{target="primary"}' ? 'primary' : 'replica'] += value;
  }
  return counts;
}

/** Waits until the service's replica is up (polled in the background), so that it gets reads. */
async function replicaUp(service: ServiceProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const states = await scrape(service, 'db_replica_state');
    if ([...states].some(([labels, value]) => labels.includes('state="up"') && value === 1)) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`the replica is not up after 30 s: ${JSON.stringify([...states])}`);
    }
    await sleep(200);
  }
}

/** Makes a user through the built CLI, as an operator would; returns its API key. */
function createUser(env: Record<string, string>, username: string): string {
  const cli = spawnSync(
    process.execPath,
    [path.join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'user', 'create', username],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      encoding: 'utf8',
    },
  );
  if (cli.status !== 0) {
    throw new Error(`user create ${username} failed (exit ${cli.status}):\n${cli.stderr}`);
  }
  return cli.stdout.trim().split('\n').pop()!;
}

/** One of the two service processes, and what its loads measured over every round. */
interface Contender {
  name: string;
  service: ServiceProcess;
  /** The mixed load's flow (the writer's own, claimed by its first POST). */
  flowId: string;
  list: LoadSamples;
  export: LoadSamples;
  writes: LoadSamples;
  readsAfterWrite: LoadSamples;
  /** Where each load's reads went (warm-ups included); undefined without replicas. */
  routed?: Record<'list' | 'export' | 'mixed', ReadCounts>;
}

type LoadName = 'list' | 'export' | 'mixed';

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  const loadAverageAtStart = currentLoadAverage();
  ensureBuilt();
  const readerKey = generateApiKey();
  let pair: StandbyPair | undefined;
  let database: BenchDatabase | undefined;
  const services: ServiceProcess[] = [];
  let cleanedUp: Promise<void> | undefined;
  const cleanup = () =>
    (cleanedUp ??= (async () => {
      for (const service of services) {
        await service.stop().catch(() => undefined);
      }
      await database?.cleanup().catch(() => undefined);
      await pair?.stop();
    })());
  const interrupted = () => {
    process.stderr.write('Interrupted: stopping the services and the clusters\n');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    process.stdout.write('Starting a PostgreSQL primary and its hot standby...\n');
    pair = await StandbyPair.start();
    database = openBenchDatabase(pair.primaryUrl);
    const serviceEnv = { ...database.serviceEnv, MONITOR_SUPERUSER_API_KEY: readerKey };
    // The first service migrates the schema and makes the superuser, whose key reads.
    const profileDir = process.env.BENCH_PROFILE_DIR;
    // PostgreSQL only: the services never load the SQLite addon, whatever Node runs them.
    const node = options.node
      ? NodeRuntime.of(options.node, false, (line) => process.stdout.write(`${line}\n`))
      : NodeRuntime.current();
    const primaryOnly = await ServiceProcess.start({
      env: serviceEnv,
      apiKey: readerKey,
      profileDir,
      node,
    });
    services.push(primaryOnly);
    const writerKey = createUser(serviceEnv, 'writer');

    process.stdout.write(
      `Seeding ${options.sessions} sessions of ${options.messages} messages on the primary...\n`,
    );
    await database.connect();
    const flowId = await database.createFlow(await database.userId(SUPERUSER_NAME));
    const sessionIds = Array.from({ length: options.sessions }, (_, i) => `session-${i}`);
    for (const sessionId of sessionIds) {
      await database.seedSession(flowId, sessionId, options.messages);
    }
    await database.analyze();
    await pair.waitForReplay();

    const withReplica = await ServiceProcess.start({
      env: { ...serviceEnv, DATABASE_READ_URLS: pair.standbyUrl },
      apiKey: readerKey,
      profileDir,
      node,
    });
    services.push(withReplica);
    await replicaUp(withReplica);

    const contender = (name: string, service: ServiceProcess): Contender => ({
      name,
      service,
      flowId: randomUUID(),
      list: new LoadSamples(options.connections),
      export: new LoadSamples(options.connections),
      writes: new LoadSamples(options.connections),
      readsAfterWrite: new LoadSamples(options.connections),
    });
    const contenders = [
      contender('primary only', primaryOnly),
      contender('with a replica', withReplica),
    ];
    contenders[1].routed = {
      list: { primary: 0, replica: 0 },
      export: { primary: 0, replica: 0 },
      mixed: { primary: 0, replica: 0 },
    };

    // Both answer the whole export alike, the replica's from the standby.
    const exportRows = await sameExport(contenders, readerKey);
    const expectedRows = options.sessions * options.messages;
    if (exportRows !== expectedRows) {
      throw new Error(`the export has ${exportRows} messages, not the ${expectedRows} seeded`);
    }

    let mixedRun = 0;
    const loads: Record<LoadName, (c: Contender) => NextRequest> = {
      list: () => () => ({
        method: 'GET',
        path: `${MESSAGES}?session_id=${sessionIds[Math.floor(Math.random() * sessionIds.length)]}`,
        headers: { 'x-api-key': readerKey },
      }),
      export: () => () => ({
        method: 'GET',
        path: `${MESSAGES}/export`,
        headers: { 'x-api-key': readerKey },
      }),
      mixed: (c) => {
        const run = (mixedRun += 1);
        return (connection, sequence): ReturnType<NextRequest> => {
          const written = Math.floor(sequence / 2);
          const sessionId = `mixed-${run}-${connection}-${Math.floor(written / MIXED_SESSION_MESSAGES)}`;
          if (sequence % 2 === 1) {
            return {
              method: 'GET',
              path: `${MESSAGES}?session_id=${sessionId}`,
              headers: { 'x-api-key': writerKey },
              samples: c.readsAfterWrite,
            };
          }
          return {
            method: 'POST',
            path: MESSAGES,
            headers: { 'x-api-key': writerKey, 'content-type': 'application/json' },
            body: JSON.stringify([
              {
                flow_id: c.flowId,
                session_id: sessionId,
                sender: written % 2 === 0 ? 'User' : 'Machine',
                sender_name: written % 2 === 0 ? 'User' : 'AI',
                text: `Message ${written} of connection ${connection}: a question or its answer.`,
              },
            ]),
          };
        };
      },
    };
    const samplesOf = (c: Contender, load: LoadName) => (load === 'mixed' ? c.writes : c[load]);

    for (let round = 0; round < options.rounds; round += 1) {
      for (const load of Object.keys(loads) as LoadName[]) {
        // The order alternates, so that neither contender always runs first.
        const order = round % 2 === 0 ? contenders : [...contenders].reverse();
        for (const c of order) {
          process.stdout.write(`round ${round + 1}/${options.rounds}: ${load}, ${c.name}...\n`);
          c.service.assertAlive();
          const before = c.routed && (await readCounts(c.service));
          await runLoad(
            c.service.baseUrl,
            options.connections,
            options.seconds,
            loads[load](c),
            1,
            samplesOf(c, load),
          );
          if (c.routed && before) {
            const after = await readCounts(c.service);
            c.routed[load].primary += after.primary - before.primary;
            c.routed[load].replica += after.replica - before.replica;
          }
        }
      }
    }

    const failures = contenders.flatMap((c) =>
      [c.list, c.export, c.writes, c.readsAfterWrite].flatMap((s) => s.errorSamples),
    );
    if (failures.length > 0) {
      throw new Error(`requests failed under load:\n${failures.join('\n')}`);
    }
    const report = renderReport({
      options,
      startedAt,
      exportRows,
      contenders,
      loadAverageAtStart,
      database: `${await database.version()}, primary + hot standby (streaming, no apply delay)`,
      serviceNode: node.version,
    });
    process.stdout.write(`\n${report}`);
    fs.mkdirSync(options.out, { recursive: true });
    const file = path.join(options.out, 'read-replicas-postgres.md');
    fs.writeFileSync(file, report);
    process.stdout.write(`\nWritten to ${path.relative(ROOT, file)}\n`);
  } finally {
    await cleanup();
  }
}

/** Exports everything through both contenders; the answers must be the same. Returns its lines. */
async function sameExport(contenders: Contender[], key: string): Promise<number> {
  const bodies: string[] = [];
  for (const c of contenders) {
    const client = new HttpClient(c.service.baseUrl, 1);
    try {
      const response = await client.request(
        'GET',
        `${MESSAGES}/export`,
        { 'x-api-key': key },
        true,
      );
      if (response.status !== 200) {
        throw new Error(`${c.name}: the export answered ${response.status}`);
      }
      bodies.push(response.body ?? '');
    } finally {
      client.close();
    }
  }
  if (bodies.some((body) => body !== bodies[0])) {
    throw new Error('the two contenders exported different messages');
  }
  return bodies[0].split('\n').filter((line) => line !== '').length;
}

interface ReportInput {
  options: Options;
  startedAt: Date;
  exportRows: number;
  contenders: Contender[];
  loadAverageAtStart: number;
  database: string;
  /** The Node the services ran on. */
  serviceNode: string;
}

function renderReport(input: ReportInput): string {
  const { options, contenders } = input;
  const [primaryOnly, withReplica] = contenders;
  const machine = describeMachine(input.database, input.serviceNode);
  machine.loadAverage = { start: input.loadAverageAtStart, end: currentLoadAverage() };
  const source = describeSource();
  const rows: string[] = [];
  const row = (measure: string, value: (c: Contender) => number | undefined, digits = 1) => {
    const [a, b] = [value(primaryOnly), value(withReplica)];
    const show = (v: number | undefined) => (v === undefined ? '—' : String(round(v, digits)));
    const ratio = a && b !== undefined ? `${round(b / a, 2)}x` : '—';
    rows.push(`| ${measure} | ${show(a)} | ${show(b)} | ${ratio} |`);
  };
  const replicaShare = (load: LoadName) => (c: Contender) => {
    const routed = c.routed?.[load];
    return routed ? (100 * routed.replica) / (routed.replica + routed.primary) : undefined;
  };
  const result = (samples: LoadSamples): LoadResult => samples.result();
  const loadRows = (label: string, samples: (c: Contender) => LoadSamples) => {
    row(`${label}: requests/s`, (c) => result(samples(c)).rps);
    row(`${label}: p50 ms`, (c) => result(samples(c)).p50Ms, 2);
    row(`${label}: p99 ms`, (c) => result(samples(c)).p99Ms, 2);
  };
  loadRows('list of one session', (c) => c.list);
  row('list: reads served by the replica, %', replicaShare('list'));
  loadRows('whole export', (c) => c.export);
  row(
    'export: messages/s',
    (c) => (c.export.latencies.length / c.export.seconds) * input.exportRows,
    0,
  );
  row('export: reads served by the replica, %', replicaShare('export'));
  loadRows('write then read: POST', (c) => c.writes);
  loadRows('write then read: its list', (c) => c.readsAfterWrite);
  row('write then read: reads served by the replica, %', replicaShare('mixed'));
  const requests = contenders.map(
    (c) =>
      `${c.name}: ${[c.list, c.export, c.writes, c.readsAfterWrite]
        .map((s) => s.latencies.length)
        .join(' / ')}`,
  );
  const routedCounts = (load: LoadName) => {
    const routed = withReplica.routed![load];
    return `${load} ${routed.replica} replica / ${routed.primary} primary`;
  };
  const cores = machine.cores;
  return [
    `# Read replicas on PostgreSQL (issue 19)${options.quick ? ', quick run' : ''}`,
    '',
    `Machine: ${machineLine(machine)}; ${machine.os}.`,
    `Run ${input.startedAt.toISOString()}, ${Math.round((Date.now() - input.startedAt.getTime()) / 1000)} s; ` +
      `1-minute load average ${machine.loadAverage.start} at start, ${machine.loadAverage.end} at end` +
      // At start, nothing of the bench runs yet: a load above the cores is other work.
      (machine.loadAverage.start > machine.cores
        ? ' (the machine was busy before the bench began: timings are noisier than on a quiet one).'
        : '.'),
    `Service built from commit ${source.commit}${source.srcDirty ? ' (src/ had uncommitted changes)' : ''}.`,
    '',
    `Data: ${options.sessions} sessions of ${options.messages} messages (${input.exportRows.toLocaleString('en-US')} messages, ` +
      "about 650 bytes of JSON each) in one flow of the reading key's user, seeded on the primary " +
      'and replayed by the standby before any load. Two service processes run side by side on it: ' +
      '"primary only" (DATABASE_URL) and "with a replica" (DATABASE_READ_URLS = the standby; ' +
      'DATABASE_READ_MAX_LAG and DATABASE_READ_POLL_INTERVAL at their defaults, 10 s and 0.5 s; no ' +
      `Redis). Each load: ${options.connections} connections, closed loop, 1 s warm-up then ` +
      `${options.seconds} s measured, ${options.rounds} rounds, the contenders alternating.`,
    '',
    '| measure | primary only | with a replica | with replica / primary only |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
    '',
    `Requests measured (list / export / POST / read after write): ${requests.join('; ')}; no errors.`,
    `Reads counted by db_reads_total on the replica contender, warm-ups included: ` +
      `${(['list', 'export', 'mixed'] as const).map(routedCounts).join('; ')}.`,
    '',
    '"list of one session" reads a random seeded session by a key that never writes; "whole ' +
      'export" streams every seeded message as NDJSON; "write then read" is one other key posting ' +
      "one message and then listing that message's session (20 messages a session at most), " +
      'every connection in turn. Its reads go to the primary until the replica is known to have ' +
      "replayed the key's last write: the replica's position is polled every 0.5 s, and the key " +
      'writes again within milliseconds, so nearly all of them stay on the primary, as they must.',
    '',
    cores <= 4
      ? `On this ${cores}-core machine both PostgreSQL servers, both service processes and the load ` +
        'generator share the same cores: a replica adds no capacity here, so the ratio is not a ' +
        "gain. It shows the routing's cost (the key's write position looked up in memory, the " +
        'target chosen per request, a second connection pool, the standby doing the reads) and, ' +
        'through db_reads_total, that the reads really are served by the replica.'
      : `On ${cores} cores that the PostgreSQL servers, the services and the load generator share, ` +
        "a replica adds little capacity: read the ratio as the routing's cost, and " +
        'db_reads_total as proof that the replica serves the reads.',
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
