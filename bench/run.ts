import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateApiKey } from '../src/auth/api-key-format';
import { ensureBuilt } from './build';
import { renderLatencyChart } from './chart';
import { BenchDatabase, medianRoundTripMs, openBenchDatabase } from './database';
import { DelayProxyProcess } from './delay-proxy-process';
import { HttpClient } from './http';
import { LangflowRename, StatementCounter } from './langflow';
import { LoadSamples, NextRequest, runLoad } from './load';
import { currentLoadAverage, describeMachine, describeSource } from './machine';
import { NodeRuntime } from './node-runtime';
import { RESULTS_DIR, WORK_DIR } from './paths';
import { ProgressBar } from './progress';
import {
  BenchResults,
  Contender,
  CONTENDERS,
  evaluateGoals,
  mib,
  NetworkResults,
  renderMarkdown,
  SizeResult,
} from './results';
import { ServiceProcess } from './service';
import { round, summarize } from './stats';

const USAGE = `Usage: npm run bench [-- options]

Benchmarks the session rename on SQLite (default) or on PostgreSQL when BENCH_DATABASE_URL is set
(e.g. postgres://postgres@127.0.0.1:5432/test; the bench works in a schema of its own and drops it).
The service runs beside the plain floor server (bench/plain-server.ts), interleaved.

  --quick         a short run (sizes up to 10,000, 3 s loads), a few minutes; results go to
                  bench/.work/results/ unless --out is given
  --out DIR       where to write <database>.json, <database>.md and latency-<database>.svg
                  (default: bench/results/ for a full run)
  --sizes LIST    session sizes to rename instead of the plan's, e.g. --sizes 100,100000 (also
                  the network scenario's)
  --delay-ms MS   PostgreSQL: the network scenario's delay each way (default 0.5)
  --no-network    PostgreSQL: skip the network scenario
  --render FILE   only rewrite the Markdown table and the chart from a results JSON file
  --profile       run the service with --cpu-prof; the profile lands in bench/.work/profiles/,
                  with the time windows of each phase beside it (profile-summary.ts --window)
  --node PATH     run the service and the plain server under this Node binary (default: the
                  one running the bench, which keeps the load generator, the floor and Langflow);
                  on SQLite, when node_modules' better-sqlite3 was built for another Node, one
                  is compiled for it once under bench/.work/native/ (it needs the headers in
                  PATH/../../include/node, as .ci/node-from-npm installs them)
  --no-otlp       skip the OTLP receiver's bench (bench/otlp-receiver.ts), which otherwise runs
                  last on the same database and writes otlp-<database>.md beside the results
  --help          this text
`;

interface Options {
  quick: boolean;
  sizes?: number[];
  profile: boolean;
  out: string;
  /** PostgreSQL: the network scenario's delay each way; undefined skips it. */
  delayMs?: number;
  /** The Node binary of the servers (--node); undefined: the bench's own. */
  node?: string;
  /** Also run the OTLP receiver's bench (issue 18); off with --no-otlp. */
  otlp: boolean;
}

interface Plan {
  sizes: number[];
  /** Timed runs per contender at a size (a warm-up run comes on top, below 1,000,000). */
  runs: (size: number) => number;
  /** The network scenario's timed runs per contender at a size. */
  networkRuns: (size: number) => number;
  /** Langflow runs at a size only as often as its predicted time there fits this many seconds. */
  langflowBudgetSeconds: number;
  loadSeconds: number;
  loadWarmupSeconds: number;
}

const LOAD_CONNECTIONS = 32;
const LOAD_SESSION_SIZE = 20;
/** Each load is split in this many rounds, the service's and the plain server's alternating. */
const LOAD_ROUNDS = 2;
/** Above this a warm-up run costs more than it tells; the first timed run warms up instead. */
const WARMUP_MAX_SIZE = 100_000;
/** Answers up to this size are parsed and checked message by message. */
const VERIFY_MAX_SIZE = 10_000;
const NETWORK_SIZES = [100, 1_000, 10_000];
const DEFAULT_DELAY_MS = 0.5;
/** How node runs the plain floor server (TypeScript, like the rest of the bench). */
const PLAIN_ENTRY = [
  '-r',
  'ts-node/register/transpile-only',
  path.join('bench', 'plain-server.ts'),
];

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  let out = quick ? path.join(WORK_DIR, 'results') : RESULTS_DIR;
  let sizes: number[] | undefined;
  let delayMs: number | undefined = DEFAULT_DELAY_MS;
  let node: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (arg === '--out') {
      out = path.resolve(argv[(i += 1)] ?? '');
    } else if (arg === '--render') {
      renderOnly(path.resolve(argv[i + 1] ?? ''));
      process.exit(0);
    } else if (arg === '--sizes') {
      sizes = (argv[(i += 1)] ?? '').split(',').map(Number);
      if (sizes.length === 0 || sizes.some((size) => !Number.isInteger(size) || size < 1)) {
        process.stderr.write(`--sizes needs a comma-separated list of whole numbers\n`);
        process.exit(2);
      }
      sizes.sort((a, b) => a - b);
    } else if (arg === '--delay-ms') {
      delayMs = Number(argv[(i += 1)]);
      if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > 100) {
        process.stderr.write(`--delay-ms needs a number of milliseconds from 0 to 100\n`);
        process.exit(2);
      }
    } else if (arg === '--no-network') {
      delayMs = undefined;
    } else if (arg === '--node') {
      node = argv[(i += 1)];
      if (!node) {
        process.stderr.write(`--node needs the path of a node binary\n`);
        process.exit(2);
      }
    } else if (arg !== '--quick' && arg !== '--profile' && arg !== '--no-otlp') {
      process.stderr.write(`Unknown option ${arg}\n\n${USAGE}`);
      process.exit(2);
    }
  }
  if (sizes && out === RESULTS_DIR) {
    // A partial run must not replace the reference results.
    out = path.join(WORK_DIR, 'results');
  }
  return {
    quick,
    sizes,
    profile: argv.includes('--profile'),
    out,
    delayMs,
    node,
    otlp: !argv.includes('--no-otlp'),
  };
}

function makePlan(database: BenchDatabase, quick: boolean): Plan {
  if (quick) {
    return {
      sizes: [100, 1_000, 10_000],
      runs: (size) => (size <= 100 ? 9 : 5),
      networkRuns: (size) => (size <= 100 ? 5 : 3),
      langflowBudgetSeconds: 25,
      loadSeconds: 3,
      loadWarmupSeconds: 0.5,
    };
  }
  return {
    sizes:
      database.kind === 'postgres'
        ? [100, 1_000, 10_000, 100_000, 1_000_000]
        : [100, 1_000, 10_000, 100_000],
    runs: (size) => (size <= 100 ? 21 : size <= 1_000 ? 11 : size <= 10_000 ? 7 : 5),
    networkRuns: (size) => (size <= 100 ? 11 : size <= 1_000 ? 7 : 5),
    langflowBudgetSeconds: 300,
    loadSeconds: 10,
    loadWarmupSeconds: 1,
  };
}

/** The two ids each session ping-pongs between, and which one it has now. */
class SessionPair {
  private flipped = false;

  constructor(private readonly name: string) {}

  get current(): string {
    return `${this.name}-${this.flipped ? 'b' : 'a'}`;
  }

  /** The [old, new] ids of the next rename, which is taken to succeed. */
  next(): [string, string] {
    const from = this.current;
    this.flipped = !this.flipped;
    return [from, this.current];
  }
}

/** One rename by one contender; returns the answer's size in bytes (0 where there is none). */
type Runner = (pair: SessionPair, size: number, verify: boolean) => Promise<number>;

/** The scaling renames of one setting: on the local database, or through the delay proxy. */
interface Scaling {
  /** For the progress bar and notes: "" locally, " over the network" through the proxy. */
  label: string;
  sizes: number[];
  pairs: Map<number, SessionPair>;
  runs: (size: number) => number;
  runners: Partial<Record<Contender, Runner>>;
  langflowBudgetSeconds: number;
  /** At most this many Langflow runs at a size (a quick run's network scenario: one at 10,000). */
  langflowMaxRuns?: (size: number) => number;
  /** Langflow gets a warm-up run up to this size (above, it costs as much as a timed run). */
  langflowWarmupMaxSize: number;
  /** Compares the two servers' answers before the timed runs, at sizes up to VERIFY_MAX_SIZE. */
  checkAnswers: (pair: SessionPair, size: number) => Promise<void>;
  /** The local service, whose memory is measured around each of its renames. */
  memory?: { service: ServiceProcess; peakResets: boolean };
  bar: ProgressBar;
}

/** Runs interleaved, rotating scaling renames; Langflow runs as often as its budget allows. */
async function runScaling(scaling: Scaling): Promise<SizeResult[]> {
  const { bar, memory } = scaling;
  const results: SizeResult[] = [];
  let lastLangflow: { size: number; medianMs: number } | undefined;
  let bytesPerMessage: number | undefined;
  for (const size of scaling.sizes) {
    const pair = scaling.pairs.get(size)!;
    const runs = scaling.runs(size);
    const label = `${size.toLocaleString('en-US')} messages${scaling.label}`;
    const entry: SizeResult = { size, skipped: {} };
    const active = CONTENDERS.filter((contender) => scaling.runners[contender] !== undefined);
    const runsOf: Partial<Record<Contender, number>> = {};
    for (const contender of active) {
      runsOf[contender] = runs;
    }

    if (active.includes('langflow')) {
      // Langflow runs only as often as its predicted time (linear in size) fits the budget.
      let skip: string | undefined;
      if (size >= 1_000_000) {
        skip = `not run: 2N+1 = ${(2 * size + 1).toLocaleString('en-US')} statements per rename`;
      } else if (lastLangflow) {
        const perRun = (lastLangflow.medianMs * (size / lastLangflow.size)) / 1000;
        const warmup = size <= scaling.langflowWarmupMaxSize ? 1 : 0;
        const fitting = Math.floor(scaling.langflowBudgetSeconds / perRun) - warmup;
        if (fitting < 1) {
          skip = `not run: one run predicted to take ${Math.round(perRun)} s (budget ${scaling.langflowBudgetSeconds} s), from ${Math.round(lastLangflow.medianMs)} ms at ${lastLangflow.size.toLocaleString('en-US')}`;
        } else {
          runsOf.langflow = Math.min(runs, fitting, scaling.langflowMaxRuns?.(size) ?? runs);
        }
      }
      if (skip) {
        entry.skipped.langflow = skip;
        active.splice(active.indexOf('langflow'), 1);
        runsOf.langflow = 0;
      }
      bar.tick(runs - (runsOf.langflow ?? 0));
    }

    let peak = 0;
    const timed = async (contender: Contender, verify: boolean): Promise<number> => {
      let sampledPeak = 0;
      let sampler: NodeJS.Timeout | undefined;
      const measured = contender === 'service' ? memory : undefined;
      if (measured) {
        measured.service.resetPeak();
        sampler = setInterval(() => {
          sampledPeak = Math.max(sampledPeak, measured.service.rss());
        }, 5);
      }
      const startedAt = performance.now();
      let bytes: number;
      try {
        bytes = await scaling.runners[contender]!(pair, size, verify);
      } finally {
        clearInterval(sampler);
      }
      const elapsed = performance.now() - startedAt;
      if (measured) {
        measured.service.assertAlive();
        peak = Math.max(peak, sampledPeak, measured.peakResets ? measured.service.peakRss() : 0);
      }
      if (contender === 'service') {
        entry.responseBytes = bytes;
        if (bytesPerMessage === undefined) {
          bytesPerMessage = bytes / size;
        } else if (Math.abs(bytes / size - bytesPerMessage) / bytesPerMessage > 0.1) {
          throw new Error(`service rename of ${size} answered only ${bytes} bytes`);
        }
      }
      return elapsed;
    };

    if (size <= WARMUP_MAX_SIZE) {
      if (size <= VERIFY_MAX_SIZE && active.includes('plain')) {
        bar.status(`${label}: the plain server's answer against the service's`);
        await scaling.checkAnswers(pair, size);
      }
      for (const contender of active) {
        if (contender === 'langflow' && size > scaling.langflowWarmupMaxSize) {
          continue;
        }
        bar.status(`${label}: warm-up of ${contender}`);
        await timed(contender, size <= VERIFY_MAX_SIZE);
      }
    }
    const timings: Partial<Record<Contender, number[]>> = {};
    for (let run = 0; run < runs; run += 1) {
      // Rotating the order spreads any drift of the machine over all contenders.
      const order = active.map((_, i) => active[(i + run) % active.length]);
      for (const contender of order) {
        if (run >= (runsOf[contender] ?? 0)) {
          continue;
        }
        bar.status(`${label}: ${contender}, run ${run + 1} of ${runsOf[contender]}`);
        (timings[contender] ??= []).push(await timed(contender, false));
        bar.tick();
      }
    }

    for (const contender of active) {
      entry[contender] = summarize(timings[contender] ?? []);
    }
    if (entry.service && entry.floor) {
      entry.serviceOverFloor = round(entry.service.median / entry.floor.median, 2);
    }
    if (entry.service && entry.plain) {
      entry.serviceOverPlain = round(entry.service.median / entry.plain.median, 2);
    }
    if (entry.service && entry.langflow) {
      entry.langflowOverService = round(entry.langflow.median / entry.service.median, 1);
      lastLangflow = { size, medianMs: entry.langflow.median };
    }
    if (memory) {
      entry.servicePeakRssMiB = mib(peak);
    }
    results.push(entry);
    const medians = active.map((contender) => `${contender} ${entry[contender]?.median} ms`);
    const rss = memory ? `, service peak RSS ${mib(peak)} MiB` : '';
    bar.note(`${label}: ${medians.join(', ')}${rss}`);
  }
  return results;
}

/**
 * The same closed-loop load against the service and the plain server, in LOAD_ROUNDS rounds
 * whose order alternates, so that drift of a busy machine falls on both alike.
 */
async function interleavedLoads(
  servers: { service: string; plain: string },
  plan: Plan,
  next: NextRequest,
  /** Wraps each of the service's rounds (the profile's windows). */
  serviceRound: (work: () => Promise<LoadSamples>) => Promise<LoadSamples>,
): Promise<{ service: LoadSamples; plain: LoadSamples }> {
  const samples = {
    service: new LoadSamples(LOAD_CONNECTIONS),
    plain: new LoadSamples(LOAD_CONNECTIONS),
  };
  for (let round = 0; round < LOAD_ROUNDS; round += 1) {
    const order: ('service' | 'plain')[] =
      round % 2 === 0 ? ['service', 'plain'] : ['plain', 'service'];
    for (const server of order) {
      const load = () =>
        runLoad(
          servers[server],
          LOAD_CONNECTIONS,
          plan.loadSeconds / LOAD_ROUNDS,
          next,
          plan.loadWarmupSeconds,
          samples[server],
        );
      await (server === 'service' ? serviceRound(load) : load());
    }
  }
  return samples;
}

/** Where two answers first differ, with some text around it, for the error message. */
function firstDifference(expected: string, actual: string): string {
  let at = 0;
  while (at < expected.length && expected[at] === actual[at]) {
    at += 1;
  }
  const around = (text: string) => JSON.stringify(text.slice(Math.max(0, at - 60), at + 60));
  return `at character ${at}: the service sent ${around(expected)}, the plain server ${around(actual)}`;
}

/** A time window of the run, for cutting the service's CPU profile into phases. */
interface ProfileWindow {
  name: string;
  /** process.hrtime in microseconds: the clock of V8's profile timestamps. */
  startUs: number;
  endUs: number;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  await benchRenames(options);
  if (options.otlp) {
    benchOtlpReceiver(options);
  }
}

/**
 * The OTLP receiver's spans per second beside its driver floor (bench/otlp-receiver.ts), on the
 * same database, in a process of its own; its table is printed and kept as otlp-<database>.md.
 */
function benchOtlpReceiver(options: Options): void {
  const args = ['-r', 'ts-node/register/transpile-only', path.join('bench', 'otlp-receiver.ts')];
  if (options.quick) {
    args.push('--batches', '4', '--rounds', '2');
  }
  process.stdout.write('\nThe OTLP receiver (bench/otlp-receiver.ts):\n');
  const run = spawnSync(process.execPath, args, {
    env: process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  process.stdout.write(run.stdout ?? '');
  if (run.status !== 0) {
    throw new Error(`bench/otlp-receiver.ts exited with ${run.status ?? run.signal}`);
  }
  const kind = process.env.BENCH_DATABASE_URL ? 'postgres' : 'sqlite';
  fs.mkdirSync(options.out, { recursive: true });
  fs.writeFileSync(path.join(options.out, `otlp-${kind}.md`), run.stdout);
}

async function benchRenames(options: Options): Promise<void> {
  const startedAt = new Date();
  const startedClock = performance.now();
  const database = openBenchDatabase();
  const plan = makePlan(database, options.quick);
  if (options.sizes) {
    plan.sizes = options.sizes;
  }
  const network =
    database.url !== undefined && database.via && options.delayMs !== undefined
      ? { delayMs: options.delayMs, sizes: options.sizes ?? NETWORK_SIZES }
      : undefined;
  const runsTotal =
    plan.sizes.reduce((sum, size) => sum + CONTENDERS.length * plan.runs(size), 0) +
    (network?.sizes ?? []).reduce((sum, size) => sum + 3 * plan.networkRuns(size), 0);
  // Steps: build, start, seed, one per timed run, the four loads, the network's start, the report.
  const bar = new ProgressBar(3 + runsTotal + 4 + (network ? 1 : 0) + 1);
  const notes: string[] = [];
  const windows: ProfileWindow[] = [];
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const start = process.hrtime.bigint();
    try {
      return await work();
    } finally {
      const end = process.hrtime.bigint();
      windows.push({ name, startUs: Number(start / 1000n), endUs: Number(end / 1000n) });
    }
  };

  const stoppable: { stop(): Promise<void> }[] = [];
  const langflows: LangflowRename[] = [];
  let cleanedUp = false;
  const cleanup = async () => {
    if (cleanedUp) {
      return;
    }
    cleanedUp = true;
    for (const langflow of langflows) {
      await langflow.close().catch(() => undefined);
    }
    for (const child of stoppable.reverse()) {
      await child.stop().catch(() => undefined);
    }
    await database.cleanup().catch((error: Error) => {
      process.stderr.write(`cleanup failed: ${error.message}\n`);
    });
  };
  process.once('SIGINT', () => {
    bar.note('Interrupted: cleaning up');
    void cleanup().finally(() => process.exit(130));
  });

  let service: ServiceProcess | undefined;
  let plain: ServiceProcess | undefined;
  try {
    bar.status('building the service (if dist/ is stale)');
    if (ensureBuilt()) {
      bar.note('Built the service (dist/ was older than src/).');
    }
    bar.tick();

    const node = options.node
      ? NodeRuntime.of(options.node, database.kind === 'sqlite', (line) => bar.status(line))
      : NodeRuntime.current();
    bar.status(
      `starting the service and the plain server on ${database.kind}, Node ${node.version}`,
    );
    const apiKey = generateApiKey();
    const profileDir = options.profile ? path.join(WORK_DIR, 'profiles') : undefined;
    service = await ServiceProcess.start({ env: database.serviceEnv, apiKey, profileDir, node });
    stoppable.push(service);
    // After the service: it migrates the schema and creates the key the plain server looks up.
    plain = await ServiceProcess.start({
      env: database.plainEnv,
      apiKey,
      entry: PLAIN_ENTRY,
      node,
    });
    stoppable.push(plain);
    await database.connect();
    const machine = describeMachine(await database.version(), node.version);
    bar.tick();

    bar.status('seeding');
    const adminId = await database.userId('admin');
    const flowId = await database.createFlow(adminId);
    const seedPairs = async (prefix: string, sizes: number[]) => {
      const pairs = new Map<number, SessionPair>();
      for (const size of sizes) {
        const pair = new SessionPair(`${prefix}-${size}`);
        bar.status(`seeding a session of ${size.toLocaleString('en-US')} messages`);
        await database.seedSession(flowId, pair.current, size);
        pairs.set(size, pair);
      }
      return pairs;
    };
    const pairs = await seedPairs('scale', plan.sizes);
    const networkPairs = network ? await seedPairs('network', network.sizes) : undefined;
    const loadPairs = Array.from(
      { length: LOAD_CONNECTIONS },
      (_, index) => new SessionPair(`load-${index}`),
    );
    for (const pair of loadPairs) {
      await database.seedSession(flowId, pair.current, LOAD_SESSION_SIZE);
    }
    bar.status('analyzing');
    await database.analyze();
    bar.tick();

    const headers = { 'x-api-key': apiKey };
    const renamePath = (from: string, to: string) =>
      `/api/v1/monitor/messages/session/${encodeURIComponent(from)}?new_session_id=${encodeURIComponent(to)}`;
    /** A contender renaming over HTTP: the service or the plain server. */
    const httpRunner =
      (name: string, client: HttpClient): Runner =>
      async (pair, size, verify) => {
        const [from, to] = pair.next();
        const response = await client.request('PATCH', renamePath(from, to), headers, verify);
        if (response.status !== 200) {
          throw new Error(`${name} rename of ${size} answered HTTP ${response.status}`);
        }
        if (verify) {
          const body = JSON.parse(response.body!) as { session_id: string }[];
          if (body.length !== size || body.some((message) => message.session_id !== to)) {
            throw new Error(`${name} rename of ${size} answered ${body.length} messages`);
          }
        }
        return response.bytes;
      };
    const langflowRunner =
      (langflow: LangflowRename): Runner =>
      async (pair, size, verify) => {
        const [from, to] = pair.next();
        const body = await langflow.rename(from, to);
        if (verify && (JSON.parse(body) as unknown[]).length !== size) {
          throw new Error(`Langflow rename of ${size} returned a wrong count`);
        }
        return body.length;
      };
    /**
     * The plain server must send what the service sends: the service renames a -> b, the plain
     * server b -> a and a -> b again, and that last answer must be the service's, byte for byte.
     */
    const answerCheck =
      (serviceClient: HttpClient, plainClient: HttpClient) =>
      async (pair: SessionPair, size: number): Promise<void> => {
        const rename = (client: HttpClient) => {
          const [from, to] = pair.next();
          return client.request('PATCH', renamePath(from, to), headers, true);
        };
        const expected = await rename(serviceClient);
        await rename(plainClient);
        const actual = await rename(plainClient);
        if (expected.status !== 200 || actual.status !== 200) {
          throw new Error(
            `renames of ${size} for the answer check: service HTTP ${expected.status}, plain server HTTP ${actual.status}`,
          );
        }
        if (expected.contentType !== actual.contentType || expected.body !== actual.body) {
          throw new Error(
            `the plain server's rename answer (${size} messages) is not the service's, so it no longer does the same work; ` +
              `update bench/plain-server.ts. Content-Type: service "${expected.contentType}", plain "${actual.contentType}"; ` +
              `body ${firstDifference(expected.body!, actual.body!)}`,
          );
        }
      };
    const checkHealth = async (serviceUrl: string, plainUrl: string) => {
      const [expected, actual] = await Promise.all(
        [serviceUrl, plainUrl].map(async (url) => {
          const client = new HttpClient(url, 1);
          try {
            return await client.request('GET', '/health', {}, true);
          } finally {
            client.close();
          }
        }),
      );
      if (expected.body !== actual.body || expected.contentType !== actual.contentType) {
        throw new Error(
          `GET /health: the plain server answered ${actual.contentType} ${actual.body}, the service ${expected.contentType} ${expected.body}; update bench/plain-server.ts`,
        );
      }
    };

    const serviceHttp = new HttpClient(service.baseUrl, 1);
    const plainHttp = new HttpClient(plain.baseUrl, 1);
    const langflow = await LangflowRename.open(database);
    langflows.push(langflow);
    const runners: Record<Contender, Runner> = {
      service: httpRunner('service', serviceHttp),
      plain: httpRunner('plain server', plainHttp),
      floor: async (pair, size) => {
        const [from, to] = pair.next();
        const rows = await database.floorRename(adminId, from, to);
        if (rows !== size) {
          throw new Error(`floor rename of ${size} read ${rows} rows`);
        }
        return 0;
      },
      langflow: langflowRunner(langflow),
    };

    // Langflow's statement count, checked once on the smallest session with a counting logger
    // (a load session when every planned size is large: at 1,000,000 messages Langflow's answer
    // would not fit in one JavaScript string, and the count is 2N+1 at any size).
    let langflowStatements: BenchResults['langflowStatements'];
    {
      const smallest = plan.sizes[0] <= 100_000;
      const size = smallest ? plan.sizes[0] : LOAD_SESSION_SIZE;
      const counter = new StatementCounter();
      const counted = await LangflowRename.open(database, counter);
      try {
        const [from, to] = (smallest ? pairs.get(size)! : loadPairs[0]).next();
        // Only the rename's statements: initialize() sends a few of its own.
        counter.count = 0;
        await counted.rename(from, to);
      } finally {
        await counted.close();
      }
      langflowStatements = { size, statements: counter.count, expected: 2 * size + 1 };
    }

    // Warm-up: the answers compared, a few small renames, then the resting footprint.
    bar.status('warming up');
    await checkHealth(service.baseUrl, plain.baseUrl);
    await answerCheck(serviceHttp, plainHttp)(loadPairs[0], LOAD_SESSION_SIZE);
    for (let i = 0; i < 20; i += 1) {
      await runners.service(loadPairs[0], LOAD_SESSION_SIZE, i === 0);
      await runners.plain(loadPairs[0], LOAD_SESSION_SIZE, i === 0);
    }
    await sleepMs(1500);
    const restRss = service.rss();
    const peakResets = service.resetPeak();
    const memoryMethod = peakResets
      ? 'VmHWM of /proc/<pid>/status, reset (clear_refs 5) before each rename, and VmRSS sampled every 5 ms'
      : 'VmRSS of /proc/<pid>/status sampled every 5 ms (clear_refs could not reset VmHWM here)';

    const sizes = await phase('scaling', () =>
      runScaling({
        label: '',
        sizes: plan.sizes,
        pairs,
        runs: plan.runs,
        runners,
        langflowBudgetSeconds: plan.langflowBudgetSeconds,
        langflowWarmupMaxSize: options.quick ? 1_000 : WARMUP_MAX_SIZE,
        checkAnswers: answerCheck(serviceHttp, plainHttp),
        memory: { service: service!, peakResets },
        bar,
      }),
    );
    serviceHttp.close();
    plainHttp.close();
    const peaks = sizes.map((entry) => ({
      size: entry.size,
      peakRssMiB: entry.servicePeakRssMiB ?? 0,
      overRestMiB: round((entry.servicePeakRssMiB ?? 0) - mib(restRss), 1),
    }));

    const servers = { service: service.baseUrl, plain: plain.baseUrl };
    bar.status(`GET /health, ${LOAD_CONNECTIONS} connections, service and plain server`);
    const health = await interleavedLoads(
      servers,
      plan,
      () => ({ method: 'GET', path: '/health' }),
      (work) => phase('health', work),
    );
    bar.tick(2);
    bar.status(
      `renames of ${LOAD_SESSION_SIZE}-message sessions, ${LOAD_CONNECTIONS} connections, service and plain server`,
    );
    const rename = await interleavedLoads(
      servers,
      plan,
      (connection) => {
        const [from, to] = loadPairs[connection].next();
        return { method: 'PATCH', path: renamePath(from, to), headers };
      },
      (work) => phase('rename-load', work),
    );
    bar.tick(2);
    service.assertAlive();
    plain.assertAlive();

    let networkResults: NetworkResults | undefined;
    if (network && networkPairs && database.url !== undefined && database.via) {
      bar.status(
        `network: a proxy with ${network.delayMs} ms each way, a second service and plain server`,
      );
      const proxy = await DelayProxyProcess.start(new URL(database.url), network.delayMs);
      stoppable.push(proxy);
      const endpoint = database.via(proxy.urlFor(database.url));
      const roundTripMs = {
        direct: round(await medianRoundTripMs(database.url)),
        proxied: round(await medianRoundTripMs(proxy.urlFor(database.url))),
      };
      const remoteService = await ServiceProcess.start({ env: endpoint.serviceEnv, apiKey, node });
      stoppable.push(remoteService);
      const remotePlain = await ServiceProcess.start({
        env: endpoint.plainEnv,
        apiKey,
        entry: PLAIN_ENTRY,
        node,
      });
      stoppable.push(remotePlain);
      const remoteLangflow = await LangflowRename.open(endpoint);
      langflows.push(remoteLangflow);
      const remoteServiceHttp = new HttpClient(remoteService.baseUrl, 1);
      const remotePlainHttp = new HttpClient(remotePlain.baseUrl, 1);
      bar.tick();
      const networkSizes = await phase('network', () =>
        runScaling({
          label: ' over the network',
          sizes: network.sizes,
          pairs: networkPairs,
          runs: plan.networkRuns,
          runners: {
            service: httpRunner('service (network)', remoteServiceHttp),
            plain: httpRunner('plain server (network)', remotePlainHttp),
            langflow: langflowRunner(remoteLangflow),
          },
          // The goal is at 10,000: a quick run times Langflow there once, even on a slow machine.
          langflowBudgetSeconds: options.quick ? 120 : plan.langflowBudgetSeconds,
          langflowMaxRuns: options.quick
            ? (size) => (size > 1_000 ? 1 : Number.POSITIVE_INFINITY)
            : undefined,
          langflowWarmupMaxSize: 1_000,
          checkAnswers: answerCheck(remoteServiceHttp, remotePlainHttp),
          bar,
        }),
      );
      remoteServiceHttp.close();
      remotePlainHttp.close();
      remoteService.assertAlive();
      networkResults = { delayMsEachWay: network.delayMs, roundTripMs, sizes: networkSizes };
    }

    bar.status('writing the report');
    machine.loadAverage.end = currentLoadAverage();
    if (machine.loadAverage.start > 0.5 || machine.loadAverage.end > 1.5) {
      notes.push(
        `The machine was not idle (1-minute load average ${machine.loadAverage.start} at start, ${machine.loadAverage.end} at end on ${machine.cores} cores; the bench itself accounts for about 1): timings are noisier than on a quiet machine.`,
      );
    }
    notes.push(
      `The load generator runs in the bench process on the same ${machine.cores} cores as the servers${database.kind === 'postgres' ? ' and PostgreSQL' : ''}, so request rates are lower bounds for a dedicated server.`,
    );
    const serviceRename = rename.service.result();
    const plainRename = rename.plain.result();
    const serviceHealth = health.service.result();
    const plainHealth = health.plain.result();
    const results: BenchResults = {
      database: database.kind,
      mode: options.quick ? 'quick' : 'full',
      startedAt: startedAt.toISOString(),
      durationSeconds: round((performance.now() - startedClock) / 1000, 1),
      machine,
      source: describeSource(),
      sizes,
      langflowStatements,
      memory: { restRssMiB: mib(restRss), method: memoryMethod, peaks },
      throughput: {
        renameSessionSize: LOAD_SESSION_SIZE,
        rename: serviceRename,
        health: serviceHealth,
        renameOverHealth: round(serviceRename.rps / serviceHealth.rps, 3),
        plainRename,
        plainHealth,
        renameOverPlain: round(serviceRename.rps / plainRename.rps, 3),
        healthOverPlain: round(serviceHealth.rps / plainHealth.rps, 3),
      },
      network: networkResults,
      notes,
      goals: [],
    };
    results.goals = evaluateGoals(results);
    await cleanup();

    fs.mkdirSync(options.out, { recursive: true });
    const markdown = renderMarkdown(results);
    fs.writeFileSync(
      path.join(options.out, `${database.kind}.json`),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    fs.writeFileSync(path.join(options.out, `${database.kind}.md`), markdown);
    fs.writeFileSync(
      path.join(options.out, `latency-${database.kind}.svg`),
      renderLatencyChart(results),
    );
    if (profileDir) {
      const file = path.join(profileDir, `windows-${service.pid}.json`);
      fs.writeFileSync(file, `${JSON.stringify(windows, null, 2)}\n`);
      bar.note(`Phase windows for the profile: ${path.relative(process.cwd(), file)}`);
    }
    bar.finish();
    process.stdout.write(
      `\n${markdown}\nWritten to ${path.relative(process.cwd(), options.out)}/\n`,
    );
  } catch (error) {
    for (const [name, child] of [
      ['service', service],
      ['plain server', plain],
    ] as const) {
      const said = child?.outputTail.trim();
      if (said) {
        bar.note(`The ${name}'s last output:\n${said}`);
      }
    }
    throw error;
  } finally {
    await cleanup();
  }
}

/** Rewrites <database>.md and latency-<database>.svg beside a results JSON file. */
function renderOnly(file: string): void {
  const results = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults;
  const directory = path.dirname(file);
  fs.writeFileSync(path.join(directory, `${results.database}.md`), renderMarkdown(results));
  fs.writeFileSync(
    path.join(directory, `latency-${results.database}.svg`),
    renderLatencyChart(results),
  );
}

function sleepMs(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

main().catch((error: unknown) => {
  process.stderr.write(`\nbench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
