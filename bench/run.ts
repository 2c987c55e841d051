import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateApiKey } from '../src/auth/api-key-format';
import { ensureBuilt } from './build';
import { renderLatencyChart } from './chart';
import { BenchDatabase, openBenchDatabase } from './database';
import { HttpClient } from './http';
import { LangflowRename, StatementCounter } from './langflow';
import { runLoad } from './load';
import { currentLoadAverage, describeMachine, describeSource } from './machine';
import { RESULTS_DIR, WORK_DIR } from './paths';
import { ProgressBar } from './progress';
import {
  BenchResults,
  Contender,
  CONTENDERS,
  evaluateGoals,
  mib,
  renderMarkdown,
  SizeResult,
} from './results';
import { ServiceProcess } from './service';
import { round, summarize } from './stats';

const USAGE = `Usage: npm run bench [-- options]

Benchmarks the session rename on SQLite (default) or on PostgreSQL when BENCH_DATABASE_URL is set
(e.g. postgres://postgres@127.0.0.1:5432/test; the bench works in a schema of its own and drops it).

  --quick        a short run (sizes up to 10,000, 3 s loads), under two minutes; results go to
                 bench/.work/results/ unless --out is given
  --out DIR      where to write <database>.json, <database>.md and latency-<database>.svg
                 (default: bench/results/ for a full run)
  --sizes LIST   session sizes to rename instead of the plan's, e.g. --sizes 100,100000
  --render FILE  only rewrite the Markdown table and the chart from a results JSON file
  --profile      run the service with --cpu-prof; the profile lands in bench/.work/profiles/
  --help         this text
`;

interface Options {
  quick: boolean;
  sizes?: number[];
  profile: boolean;
  out: string;
}

interface Plan {
  sizes: number[];
  /** Timed runs per contender at a size (a warm-up run comes on top, below 1,000,000). */
  runs: (size: number) => number;
  /** Langflow runs at a size only if its predicted time there fits in this many seconds. */
  langflowBudgetSeconds: number;
  loadSeconds: number;
  loadWarmupSeconds: number;
}

const LOAD_CONNECTIONS = 32;
const LOAD_SESSION_SIZE = 20;
/** Above this a warm-up run costs more than it tells; the first timed run warms up instead. */
const WARMUP_MAX_SIZE = 100_000;
/** Answers up to this size are parsed and checked message by message. */
const VERIFY_MAX_SIZE = 10_000;

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  let out = quick ? path.join(WORK_DIR, 'results') : RESULTS_DIR;
  let sizes: number[] | undefined;
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
    } else if (arg !== '--quick' && arg !== '--profile') {
      process.stderr.write(`Unknown option ${arg}\n\n${USAGE}`);
      process.exit(2);
    }
  }
  if (sizes && out === RESULTS_DIR) {
    // A partial run must not replace the reference results.
    out = path.join(WORK_DIR, 'results');
  }
  return { quick, sizes, profile: argv.includes('--profile'), out };
}

function makePlan(database: BenchDatabase, quick: boolean): Plan {
  if (quick) {
    return {
      sizes: [100, 1_000, 10_000],
      runs: (size) => (size <= 100 ? 9 : 5),
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

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  const startedClock = performance.now();
  const database = openBenchDatabase();
  const plan = makePlan(database, options.quick);
  if (options.sizes) {
    plan.sizes = options.sizes;
  }
  const runsTotal = plan.sizes.reduce((sum, size) => sum + 3 * plan.runs(size), 0);
  // Steps: build, start, seed, one per timed run, the two loads, the report.
  const bar = new ProgressBar(3 + runsTotal + 2 + 1);
  const notes: string[] = [];

  let service: ServiceProcess | undefined;
  let langflow: LangflowRename | undefined;
  let cleanedUp = false;
  const cleanup = async () => {
    if (cleanedUp) {
      return;
    }
    cleanedUp = true;
    await langflow?.close().catch(() => undefined);
    await service?.stop().catch(() => undefined);
    await database.cleanup().catch((error: Error) => {
      process.stderr.write(`cleanup failed: ${error.message}\n`);
    });
  };
  process.once('SIGINT', () => {
    bar.note('Interrupted: cleaning up');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    bar.status('building the service (if dist/ is stale)');
    if (ensureBuilt()) {
      bar.note('Built the service (dist/ was older than src/).');
    }
    bar.tick();

    bar.status(`starting the service on ${database.kind}`);
    const apiKey = generateApiKey();
    service = await ServiceProcess.start({
      env: database.serviceEnv,
      apiKey,
      profileDir: options.profile ? path.join(WORK_DIR, 'profiles') : undefined,
    });
    await database.connect();
    const machine = describeMachine(await database.version());
    bar.tick();

    bar.status('seeding');
    const adminId = await database.userId('admin');
    const flowId = await database.createFlow(adminId);
    const pairs = new Map<number, SessionPair>();
    for (const size of plan.sizes) {
      const pair = new SessionPair(`scale-${size}`);
      bar.status(`seeding a session of ${size.toLocaleString('en-US')} messages`);
      await database.seedSession(flowId, pair.current, size);
      pairs.set(size, pair);
    }
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

    const http = new HttpClient(service.baseUrl, 1);
    const headers = { 'x-api-key': apiKey };
    const renamePath = (from: string, to: string) =>
      `/api/v1/monitor/messages/session/${encodeURIComponent(from)}?new_session_id=${encodeURIComponent(to)}`;

    langflow = await LangflowRename.open(database);
    const contenders: Record<
      Contender,
      (pair: SessionPair, size: number, verify: boolean) => Promise<number>
    > = {
      service: async (pair, size, verify) => {
        const [from, to] = pair.next();
        const response = await http.request('PATCH', renamePath(from, to), headers, verify);
        if (response.status !== 200) {
          throw new Error(`service rename of ${size} answered HTTP ${response.status}`);
        }
        if (verify) {
          const body = JSON.parse(response.body!) as { session_id: string }[];
          if (body.length !== size || body.some((message) => message.session_id !== to)) {
            throw new Error(`service rename of ${size} answered ${body.length} messages`);
          }
        }
        return response.bytes;
      },
      floor: async (pair, size) => {
        const [from, to] = pair.next();
        const rows = await database.floorRename(adminId, from, to);
        if (rows !== size) {
          throw new Error(`floor rename of ${size} read ${rows} rows`);
        }
        return 0;
      },
      langflow: async (pair, size, verify) => {
        const [from, to] = pair.next();
        const body = await langflow!.rename(from, to);
        if (verify && (JSON.parse(body) as unknown[]).length !== size) {
          throw new Error(`Langflow rename of ${size} returned a wrong count`);
        }
        return body.length;
      },
    };

    // Langflow's statement count, checked once on the smallest session with a counting logger.
    let langflowStatements: BenchResults['langflowStatements'];
    {
      const size = plan.sizes[0];
      const counter = new StatementCounter();
      const counted = await LangflowRename.open(database, counter);
      try {
        const [from, to] = pairs.get(size)!.next();
        // Only the rename's statements: initialize() sends a few of its own.
        counter.count = 0;
        await counted.rename(from, to);
      } finally {
        await counted.close();
      }
      langflowStatements = { size, statements: counter.count, expected: 2 * size + 1 };
    }

    // Warm-up: a few small renames, then the resting footprint.
    bar.status('warming up');
    for (let i = 0; i < 20; i += 1) {
      await contenders.service(loadPairs[0], LOAD_SESSION_SIZE, i === 0);
    }
    await sleepMs(1500);
    const restRss = service.rss();
    const peakResets = service.resetPeak();
    const memoryMethod = peakResets
      ? 'VmHWM of /proc/<pid>/status, reset (clear_refs 5) before each rename, and VmRSS sampled every 5 ms'
      : 'VmRSS of /proc/<pid>/status sampled every 5 ms (clear_refs could not reset VmHWM here)';

    const sizes: SizeResult[] = [];
    const peaks: BenchResults['memory']['peaks'] = [];
    let bytesPerMessage: number | undefined;
    let lastLangflow: { size: number; medianMs: number } | undefined;

    for (const size of plan.sizes) {
      const pair = pairs.get(size)!;
      const runs = plan.runs(size);
      const label = size.toLocaleString('en-US');
      const entry: SizeResult = { size, skipped: {} };
      const active: Contender[] = [...CONTENDERS];

      // Langflow runs only where its predicted time fits the budget.
      let langflowSkip: string | undefined;
      if (size >= 1_000_000) {
        langflowSkip = `not run: 2N+1 = ${(2 * size + 1).toLocaleString('en-US')} statements per rename`;
      } else if (lastLangflow) {
        const predicted = (lastLangflow.medianMs * (size / lastLangflow.size) * (runs + 1)) / 1000;
        if (predicted > plan.langflowBudgetSeconds) {
          langflowSkip = `not run: ${runs + 1} runs predicted to take ${Math.round(predicted)} s (budget ${plan.langflowBudgetSeconds} s), from ${Math.round(lastLangflow.medianMs)} ms at ${lastLangflow.size.toLocaleString('en-US')}`;
        }
      }
      if (langflowSkip) {
        entry.skipped.langflow = langflowSkip;
        active.splice(active.indexOf('langflow'), 1);
        bar.tick(runs);
      }

      const timings: Record<Contender, number[]> = { service: [], floor: [], langflow: [] };
      let peak = 0;
      const timed = async (contender: Contender, verify: boolean): Promise<number> => {
        let sampledPeak = 0;
        let sampler: NodeJS.Timeout | undefined;
        if (contender === 'service') {
          service!.resetPeak();
          sampler = setInterval(() => {
            sampledPeak = Math.max(sampledPeak, service!.rss());
          }, 5);
        }
        const startedAt = performance.now();
        let bytes: number;
        try {
          bytes = await contenders[contender](pair, size, verify);
        } finally {
          clearInterval(sampler);
        }
        const elapsed = performance.now() - startedAt;
        if (contender === 'service') {
          peak = Math.max(peak, sampledPeak, peakResets ? service!.peakRss() : 0);
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
        // A quick run spares Langflow's warm-up above 1,000: it would cost as much as a timed run.
        const warmed = active.filter(
          (contender) => !(options.quick && contender === 'langflow' && size > 1_000),
        );
        for (const contender of warmed) {
          bar.status(`${label} messages: warm-up of ${contender}`);
          await timed(contender, size <= VERIFY_MAX_SIZE);
        }
      }
      for (let run = 0; run < runs; run += 1) {
        // Rotating the order spreads any drift of the machine over all contenders.
        const order = active.map((_, i) => active[(i + run) % active.length]);
        for (const contender of order) {
          bar.status(`${label} messages: ${contender}, run ${run + 1} of ${runs}`);
          timings[contender].push(await timed(contender, false));
          service.assertAlive();
          bar.tick();
        }
      }

      for (const contender of active) {
        entry[contender] = summarize(timings[contender]);
      }
      if (entry.service && entry.floor) {
        entry.serviceOverFloor = round(entry.service.median / entry.floor.median, 2);
      }
      if (entry.service && entry.langflow) {
        entry.langflowOverService = round(entry.langflow.median / entry.service.median, 1);
        lastLangflow = { size, medianMs: entry.langflow.median };
      }
      entry.servicePeakRssMiB = mib(peak);
      peaks.push({ size, peakRssMiB: mib(peak), overRestMiB: round(mib(peak) - mib(restRss), 1) });
      sizes.push(entry);
      const langflowNote = entry.langflow ? `, Langflow ${entry.langflow.median} ms` : '';
      bar.note(
        `${label}: service ${entry.service?.median} ms, floor ${entry.floor?.median} ms${langflowNote}, service peak RSS ${mib(peak)} MiB`,
      );
    }
    http.close();

    bar.status(`GET /health, ${LOAD_CONNECTIONS} connections, ${plan.loadSeconds} s`);
    const health = await runLoad(
      service.baseUrl,
      LOAD_CONNECTIONS,
      plan.loadSeconds,
      () => ({ method: 'GET', path: '/health' }),
      plan.loadWarmupSeconds,
    );
    bar.tick();
    bar.status(
      `renames of ${LOAD_SESSION_SIZE}-message sessions, ${LOAD_CONNECTIONS} connections, ${plan.loadSeconds} s`,
    );
    const rename = await runLoad(
      service.baseUrl,
      LOAD_CONNECTIONS,
      plan.loadSeconds,
      (connection) => {
        const [from, to] = loadPairs[connection].next();
        return { method: 'PATCH', path: renamePath(from, to), headers };
      },
      plan.loadWarmupSeconds,
    );
    bar.tick();
    service.assertAlive();

    bar.status('writing the report');
    machine.loadAverage.end = currentLoadAverage();
    if (machine.loadAverage.start > 0.5 || machine.loadAverage.end > 1.5) {
      notes.push(
        `The machine was not idle (1-minute load average ${machine.loadAverage.start} at start, ${machine.loadAverage.end} at end on ${machine.cores} cores; the bench itself accounts for about 1): timings are noisier than on a quiet machine.`,
      );
    }
    notes.push(
      `The load generator runs in the bench process on the same ${machine.cores} cores as the service${database.kind === 'postgres' ? ' and PostgreSQL' : ''}, so request rates are lower bounds for a dedicated server.`,
    );
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
        rename,
        health,
        renameOverHealth: round(rename.rps / health.rps, 3),
      },
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
    bar.finish();
    process.stdout.write(
      `\n${markdown}\nWritten to ${path.relative(process.cwd(), options.out)}/\n`,
    );
  } catch (error) {
    const said = service?.outputTail.trim();
    if (said) {
      bar.note(`The service's last output:\n${said}`);
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
