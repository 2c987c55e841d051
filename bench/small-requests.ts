import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { generateApiKey } from '../src/auth/api-key-format';
import { ensureBuilt } from './build';
import { openBenchDatabase } from './database';
import { currentLoadAverage } from './machine';
import { NodeRuntime } from './node-runtime';
import { ROOT, WORK_DIR } from './paths';
import { ServiceProcess } from './service';
import { median, percentile, round } from './stats';

const USAGE = `Usage: npx ts-node --transpile-only bench/small-requests.ts [options]

A targeted load of the small-request routes, for before/after work on them (not part of
npm run bench): the service built from the work tree (dist/, rebuilt when stale), other builds to
compare it with (a copy of an older dist/ under the repository, e.g. bench/.work/base/dist, so
that it finds node_modules), and the plain floor server (bench/plain-server.ts: /health and the
rename only), all on one database (SQLite, or PostgreSQL with BENCH_DATABASE_URL), their loads
interleaved in rotating rounds. Besides rates it reports each server's CPU time per request
(main thread from /proc/<pid>/schedstat, whole process from /proc/<pid>/stat), which a shared
machine disturbs less than the rates.

Scenarios (32 connections): GET /health; renames of 20-message sessions (each connection its
own session, ping-ponged); GET /api/v1/monitor/messages?session_id= of a 20-message session;
GET /api/v1/monitor/messages/{id}; POST /api/v1/monitor/messages of one message.

  --scenarios LIST   health,rename,list,get,ingest (default: all)
  --seconds S        load time per server and scenario, split over the rounds (default 6)
  --rounds N         rounds per scenario, the servers' order rotating (default 3; with
                     --instructions each round counts again and the median is reported)
  --connections N    keep-alive connections (default 32)
  --base DIR         the same as --compare base=DIR
  --compare NAME=DIR another build to compare, by name (repeatable)
  --node PATH        run every server (the service, the other builds, the plain server) under
                     this Node binary instead of the one running this script (see npm run bench
                     -- --help for SQLite's compiled addon)
  --compare-node NAME=PATH
                     the work tree's build once more under another Node binary, by name
                     (repeatable), e.g. node20=/usr/bin/node beside --node .../node-24/bin/node
  --profile NAME     run that server (service or a build's name) with --cpu-prof; the profile
                     and windows-<pid>.json land in bench/.work/profiles/, for
                     bench/profile-summary.ts FILE --window SCENARIO
  --instructions     count instead of time: every server runs under valgrind's callgrind, and
                     each scenario sends --warmup requests, then --requests counted ones; the
                     report gives machine instructions a request (the server's whole process,
                     all threads). Unlike rates and CPU time these do not move with what else
                     the machine is doing (system calls' kernel side and cache misses are not in
                     them). Identical builds measured 1-3 % apart on renames; GET /health's
                     rounds move by up to 1.5x with the major collections that fall into them
                     (the least round is the steadier figure there); several minutes per server
                     and scenario
  --warmup N         --instructions: requests before counting (default 3000: V8 optimizes)
  --requests N       --instructions: requests counted in each round (default 2000: a major
                     collection costs tens of millions of instructions, spread over them)
`;

interface Options {
  scenarios: string[];
  seconds: number;
  rounds: number;
  connections: number;
  /** Other builds to compare, by name, each under the servers' Node unless it names its own. */
  builds: { name: string; dist: string; node?: string }[];
  profile?: string;
  /** The servers' Node binary (--node); undefined: this script's. */
  node?: string;
  instructions: boolean;
  warmup: number;
  requests: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    scenarios: ['health', 'rename', 'list', 'get', 'ingest'],
    seconds: 6,
    rounds: 3,
    connections: 32,
    builds: [],
    instructions: false,
    warmup: 3000,
    requests: 2000,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const value = () => argv[(i += 1)] ?? '';
    switch (argv[i]) {
      case '--scenarios':
        options.scenarios = value().split(',');
        break;
      case '--seconds':
        options.seconds = Number(value());
        break;
      case '--rounds':
        options.rounds = Number(value());
        break;
      case '--connections':
        options.connections = Number(value());
        break;
      case '--base':
        options.builds.push({ name: 'base', dist: path.resolve(value()) });
        break;
      case '--compare': {
        const [name, dist] = value().split('=');
        options.builds.push({ name, dist: path.resolve(dist ?? '') });
        break;
      }
      case '--compare-node': {
        const [name, node] = value().split('=');
        options.builds.push({ name, dist: path.join(ROOT, 'dist'), node: node ?? '' });
        break;
      }
      case '--node':
        options.node = value();
        break;
      case '--instructions':
        options.instructions = true;
        break;
      case '--warmup':
        options.warmup = Number(value());
        break;
      case '--requests':
        options.requests = Number(value());
        break;
      case '--profile':
        options.profile = value();
        break;
      default:
        process.stdout.write(USAGE);
        process.exit(argv[i] === '--help' ? 0 : 2);
    }
  }
  return options;
}

interface Request {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One request on a keep-alive agent; resolves with the status once the answer is read. */
function send(agent: http.Agent, url: URL, request: Request): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = { ...request.headers };
    if (request.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(request.body));
    }
    const outgoing = http.request(
      {
        agent,
        hostname: url.hostname,
        port: url.port,
        method: request.method,
        path: request.path,
        headers,
      },
      (response) => {
        response.on('data', () => undefined);
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

class Samples {
  latencies: number[] = [];
  errors = 0;
  seconds = 0;
  /** CPU time of the server's main thread while it was under load, in nanoseconds. */
  mainThreadNs = 0;
  /** CPU time of the whole server process (GC and libuv threads too), in nanoseconds. */
  processNs = 0;
  firstError?: string;
}

/** Nanoseconds on the CPU: the main thread's (schedstat) and the process's (stat, in ticks). */
function cpuTimes(pid: number): { mainThreadNs: number; processNs: number } {
  const schedstat = fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ');
  // Fields 14 and 15 after the command name are utime and stime, in clock ticks (100 a second).
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { mainThreadNs: Number(schedstat[0]), processNs: ticks * 1e7 };
}

async function load(
  pid: number,
  baseUrl: string,
  connections: number,
  seconds: number,
  next: (connection: number) => Request,
  samples: Samples,
): Promise<void> {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const loop = async (connection: number, until: number, record: boolean) => {
    while (performance.now() < until) {
      const request = next(connection);
      const startedAt = performance.now();
      let failure: string | undefined;
      try {
        const status = await send(agent, url, request);
        if (status < 200 || status >= 300) {
          failure = `${request.method} ${request.path}: HTTP ${status}`;
        }
      } catch (error) {
        failure = `${request.method} ${request.path}: ${(error as Error).message}`;
      }
      if (record) {
        samples.latencies.push(performance.now() - startedAt);
        if (failure) {
          samples.errors += 1;
          samples.firstError ??= failure;
        }
      }
    }
  };
  try {
    const warmup = performance.now() + 500;
    await Promise.all(Array.from({ length: connections }, (_, i) => loop(i, warmup, false)));
    const cpuBefore = cpuTimes(pid);
    const startedAt = performance.now();
    const until = startedAt + seconds * 1000;
    await Promise.all(Array.from({ length: connections }, (_, i) => loop(i, until, true)));
    samples.seconds += (performance.now() - startedAt) / 1000;
    const cpuAfter = cpuTimes(pid);
    samples.mainThreadNs += cpuAfter.mainThreadNs - cpuBefore.mainThreadNs;
    samples.processNs += cpuAfter.processNs - cpuBefore.processNs;
  } finally {
    agent.destroy();
  }
}

/** Sends `total` requests over keep-alive connections, each connection one at a time. */
async function sendCount(
  baseUrl: string,
  connections: number,
  total: number,
  next: (connection: number) => Request,
): Promise<Samples> {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const samples = new Samples();
  let sent = 0;
  const loop = async (connection: number) => {
    while (sent < total) {
      sent += 1;
      const request = next(connection);
      let failure: string | undefined;
      try {
        const status = await send(agent, url, request);
        if (status < 200 || status >= 300) {
          failure = `${request.method} ${request.path}: HTTP ${status}`;
        }
      } catch (error) {
        failure = `${request.method} ${request.path}: ${(error as Error).message}`;
      }
      if (failure) {
        samples.errors += 1;
        samples.firstError ??= failure;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, (_, i) => loop(i)));
  } finally {
    agent.destroy();
  }
  return samples;
}

/**
 * Machine instructions a request of a server running under callgrind with instrumentation off:
 * the warm-up uncounted, then the counters zeroed and instrumentation on for the counted
 * requests only, then a dump, whose total is read back.
 */
async function instructionsPerRequest(
  server: ServiceProcess,
  options: Options,
  next: (connection: number) => Request,
  outDir: string,
): Promise<{ perRequest: number; processPerRequest: number; errors: number; firstError?: string }> {
  const control = (...args: string[]) =>
    execFileSync('callgrind_control', [...args, String(server.pid)], { stdio: 'pipe' });
  const warm = await sendCount(server.baseUrl, options.connections, options.warmup, next);
  control('--zero');
  control('--instr=on');
  const counted = await sendCount(server.baseUrl, options.connections, options.requests, next);
  control('--instr=off');
  control('--dump');
  // The newest dump, one file a thread: callgrind.<pid>.<dump>-<thread>, the main thread 01.
  const prefix = `callgrind.${server.pid}.`;
  const files = fs.readdirSync(outDir).filter((name) => name.startsWith(prefix));
  const last = Math.max(...files.map((name) => Number(/\.(\d+)-\d+$/.exec(name)?.[1] ?? 0)));
  let mainThread = 0;
  let process = 0;
  for (const name of files.filter((file) => file.startsWith(`${prefix}${last}-`))) {
    const totals = /^totals: (\d+)/m.exec(fs.readFileSync(path.join(outDir, name), 'utf8'));
    const count = Number(totals?.[1] ?? 0);
    process += count;
    if (name.endsWith('-01')) {
      mainThread = count;
    }
  }
  if (mainThread === 0) {
    throw new Error(`no callgrind dump of the main thread of process ${server.pid} in ${outDir}`);
  }
  return {
    perRequest: mainThread / options.requests,
    processPerRequest: process / options.requests,
    errors: warm.errors + counted.errors,
    firstError: warm.firstError ?? counted.firstError,
  };
}

/**
 * The environment of another build. On SQLite the service claims its file for one process (issue
 * 7), so each other build opens the same database through a symbolic link of its own: SQLite
 * resolves the link (one WAL, one set of locks), the claim is per path. Safe here because the
 * loads take turns; it is a measuring device, not a way to run replicas.
 */
function buildEnv(
  env: Record<string, string>,
  name: string,
  links: string[],
): Record<string, string> {
  const url = env.DATABASE_URL ?? '';
  if (!url.startsWith('sqlite:')) {
    return env;
  }
  const file = url.slice('sqlite:'.length);
  const link = `${file}.${name}.db`;
  fs.rmSync(link, { force: true });
  fs.symlinkSync(path.basename(file), link);
  links.push(link, `${link}.lock`);
  return { ...env, DATABASE_URL: `sqlite:${link}` };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  ensureBuilt();
  const database = openBenchDatabase();
  const apiKey = generateApiKey();
  const profileDir = path.join(WORK_DIR, 'profiles');
  const callgrindDir = path.join(WORK_DIR, 'callgrind');
  // Under callgrind a server starts in a minute or two and runs 5-50x slower.
  const counting = options.instructions
    ? {
        wrapper: [
          'valgrind',
          '--tool=callgrind',
          '--instr-atstart=no',
          // Counted apart, so that the main thread's (which bounds the rate) can be read alone.
          '--separate-threads=yes',
          `--callgrind-out-file=${path.join(callgrindDir, 'callgrind.%p')}`,
        ],
        startTimeoutMs: 600_000,
      }
    : {};
  if (options.instructions) {
    fs.rmSync(callgrindDir, { recursive: true, force: true });
    fs.mkdirSync(callgrindDir, { recursive: true });
  }
  const servers: Record<string, ServiceProcess> = {};
  const windows: { name: string; startUs: number; endUs: number }[] = [];
  const links: string[] = [];
  const sqlite = database.kind === 'sqlite';
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const runtimeOf = (binary: string | undefined) =>
    binary === undefined ? NodeRuntime.current() : NodeRuntime.of(binary, sqlite, say);
  const node = runtimeOf(options.node);
  const nodes: Record<string, NodeRuntime> = { service: node, plain: node };
  try {
    servers.service = await ServiceProcess.start({
      env: database.serviceEnv,
      apiKey,
      profileDir: options.profile === 'service' ? profileDir : undefined,
      node,
      ...counting,
    });
    for (const build of options.builds) {
      nodes[build.name] = build.node === undefined ? node : runtimeOf(build.node);
      servers[build.name] = await ServiceProcess.start({
        env: buildEnv(database.serviceEnv, build.name, links),
        apiKey,
        entry: [path.join(build.dist, 'src', 'main.js')],
        profileDir: options.profile === build.name ? profileDir : undefined,
        node: nodes[build.name],
        ...counting,
      });
    }
    servers.plain = await ServiceProcess.start({
      env: database.plainEnv,
      apiKey,
      entry: ['-r', 'ts-node/register/transpile-only', path.join('bench', 'plain-server.ts')],
      node,
      ...counting,
    });
    await database.connect();
    const adminId = await database.userId('admin');
    const flowId = await database.createFlow(adminId);
    const pairs = Array.from({ length: options.connections }, () => false);
    for (let i = 0; i < options.connections; i += 1) {
      await database.seedSession(flowId, `load-${i}-a`, 20);
    }
    await database.seedSession(flowId, 'list-target', 20);
    await database.analyze();
    const headers = { 'x-api-key': apiKey };
    // A message id to get: the service lists the session once.
    const listed = await fetch(
      `${servers.service.baseUrl}/api/v1/monitor/messages?session_id=list-target`,
      { headers },
    );
    const messageIds = ((await listed.json()) as { id: string }[]).map((m) => m.id);

    const scenarios: Record<string, { servers: string[]; next: (c: number) => Request }> = {
      health: {
        servers: Object.keys(servers),
        next: () => ({ method: 'GET', path: '/health' }),
      },
      rename: {
        servers: Object.keys(servers),
        next: (connection) => {
          const from = `load-${connection}-${pairs[connection] ? 'b' : 'a'}`;
          pairs[connection] = !pairs[connection];
          const to = `load-${connection}-${pairs[connection] ? 'b' : 'a'}`;
          return {
            method: 'PATCH',
            path: `/api/v1/monitor/messages/session/${from}?new_session_id=${to}`,
            headers,
          };
        },
      },
      list: {
        servers: Object.keys(servers).filter((name) => name !== 'plain'),
        next: () => ({
          method: 'GET',
          path: '/api/v1/monitor/messages?session_id=list-target',
          headers,
        }),
      },
      get: {
        servers: Object.keys(servers).filter((name) => name !== 'plain'),
        next: (connection) => ({
          method: 'GET',
          path: `/api/v1/monitor/messages/${messageIds[connection % messageIds.length]}`,
          headers,
        }),
      },
      ingest: {
        servers: Object.keys(servers).filter((name) => name !== 'plain'),
        next: (connection) => ({
          method: 'POST',
          path: '/api/v1/monitor/messages',
          headers,
          body: JSON.stringify([
            {
              flow_id: flowId,
              session_id: `ingest-${connection}`,
              sender: 'User',
              sender_name: 'User',
              text: `Hello ${randomUUID()}, can you help me reset my password?`,
              properties: { source: 'web' },
            },
          ]),
        }),
      },
    };

    const versions = Object.keys(servers).map((name) => `${name} ${nodes[name].version}`);
    process.stdout.write(
      `load average ${currentLoadAverage()}, ${options.connections} connections, ${options.seconds} s per server and scenario in ${options.rounds} rounds\n` +
        `Node: ${versions.join(', ')}; this script (the load) ${process.version}\n`,
    );
    for (const name of options.instructions ? options.scenarios : []) {
      const scenario = scenarios[name];
      // Rounds in rotating order, the warm-up in full before a server's first count only; the
      // median of the rounds, since a major GC or a recompilation can fall into one of them.
      const rounds: Record<string, { main: number[]; process: number[]; errors: number }> = {};
      for (let round = 0; round < options.rounds; round += 1) {
        const order = scenario.servers.map(
          (_, i) => scenario.servers[(i + round) % scenario.servers.length],
        );
        for (const server of order) {
          const result = await instructionsPerRequest(
            servers[server],
            { ...options, warmup: round === 0 ? options.warmup : options.warmup / 4 },
            scenario.next,
            callgrindDir,
          );
          const seen = (rounds[server] ??= { main: [], process: [], errors: 0 });
          seen.main.push(result.perRequest);
          seen.process.push(result.processPerRequest);
          seen.errors += result.errors;
          if (result.errors && seen.errors === result.errors) {
            process.stderr.write(`${server}: ${result.firstError}\n`);
          }
        }
      }
      const counts: Record<string, number> = {};
      const least: Record<string, number> = {};
      const count = (value: number) => Math.round(value).toLocaleString('en-US');
      const parts = scenario.servers.map((server) => {
        const seen = rounds[server];
        counts[server] = median(seen.main);
        least[server] = Math.min(...seen.main);
        const errors = seen.errors ? `, ${seen.errors} errors` : '';
        return (
          `${server} ${count(counts[server])} instructions a request main thread ` +
          `(rounds ${seen.main.map(count).join(' / ')}), ${count(median(seen.process))} process${errors}`
        );
      });
      const ratios = scenario.servers
        .filter((server) => server !== 'service')
        .map(
          (server) =>
            `${server}/service ${round(counts[server] / counts.service, 3)} ` +
            `(of the least rounds ${round(least[server] / least.service, 3)})`,
        );
      process.stdout.write(`${name}:\n  ${parts.join('\n  ')}\n  ${ratios.join(', ')}\n`);
    }
    for (const name of options.instructions ? [] : options.scenarios) {
      const scenario = scenarios[name];
      const samples = Object.fromEntries(scenario.servers.map((server) => [server, new Samples()]));
      for (let round = 0; round < options.rounds; round += 1) {
        const order = scenario.servers.map(
          (_, i) => scenario.servers[(i + round) % scenario.servers.length],
        );
        for (const server of order) {
          const start = process.hrtime.bigint();
          await load(
            servers[server].pid,
            servers[server].baseUrl,
            options.connections,
            options.seconds / options.rounds,
            scenario.next,
            samples[server],
          );
          if (server === options.profile) {
            const end = process.hrtime.bigint();
            windows.push({ name, startUs: Number(start / 1000n), endUs: Number(end / 1000n) });
          }
        }
      }
      const rates: Record<string, number> = {};
      const cpu: Record<string, number> = {};
      const parts = scenario.servers.map((server) => {
        const s = samples[server];
        const sorted = [...s.latencies].sort((a, b) => a - b);
        rates[server] = s.latencies.length / s.seconds;
        cpu[server] = s.mainThreadNs / 1000 / s.latencies.length;
        const processUs = s.processNs / 1000 / s.latencies.length;
        const errors = s.errors ? `, ${s.errors} errors (${s.firstError})` : '';
        return (
          `${server} ${Math.round(rates[server])} rps, p50 ${round(percentile(sorted, 0.5), 1)} ms, p99 ${round(percentile(sorted, 0.99), 1)} ms, ` +
          `CPU a request ${round(cpu[server], 0)} us main thread, ${round(processUs, 0)} us process${errors}`
        );
      });
      const ratios: string[] = [];
      const builds = scenario.servers.filter((server) => server !== 'plain');
      if (rates.plain) {
        for (const build of builds) {
          ratios.push(`${build}/plain ${round(rates[build] / rates.plain, 3)}`);
        }
      }
      for (const build of builds.filter((server) => server !== 'service')) {
        ratios.push(`service/${build} ${round(rates.service / rates[build], 3)}`);
        ratios.push(`CPU ${build}/service ${round(cpu[build] / cpu.service, 3)}`);
      }
      process.stdout.write(`${name}:\n  ${parts.join('\n  ')}\n  ${ratios.join(', ')}\n`);
    }
    process.stdout.write(`load average at end ${currentLoadAverage()}\n`);
  } finally {
    for (const server of Object.values(servers).reverse()) {
      await server.stop().catch(() => undefined);
    }
    const profiled = options.profile === undefined ? undefined : servers[options.profile];
    if (profiled) {
      // Beside the profile, for profile-summary.ts --window SCENARIO.
      const file = path.join(profileDir, `windows-${profiled.pid}.json`);
      fs.writeFileSync(file, `${JSON.stringify(windows, null, 2)}\n`);
    }
    await database.cleanup();
    for (const link of links) {
      fs.rmSync(link, { force: true });
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
