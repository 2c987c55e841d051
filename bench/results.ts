import { LoadResult } from './load';
import { Machine, machineLine, SourceState } from './machine';
import { round, Summary } from './stats';

export const CONTENDERS = ['service', 'plain', 'floor', 'langflow'] as const;
export type Contender = (typeof CONTENDERS)[number];

export const CONTENDER_LABELS: Record<Contender, string> = {
  service: 'service (HTTP, end to end)',
  plain: 'plain node:http server (same SQL and bytes)',
  floor: 'floor (driver: UPDATE + SELECT)',
  langflow: "Langflow's algorithm (TypeORM, 2N+1)",
};

export interface SizeResult {
  size: number;
  /** Timings in milliseconds; a contender that did not run has `skipped` instead. */
  service?: Summary;
  /** Absent in results from before the plain server (issue 11). */
  plain?: Summary;
  floor?: Summary;
  langflow?: Summary;
  skipped: Partial<Record<Contender, string>>;
  serviceOverFloor?: number;
  serviceOverPlain?: number;
  langflowOverService?: number;
  /** Bytes of the service's JSON answer. */
  responseBytes?: number;
  /** The service's peak RSS during its renames of this size, in MiB. */
  servicePeakRssMiB?: number;
}

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  /** null: not measured in this run (e.g. no 1,000,000 session on SQLite). */
  met: boolean | null;
}

export interface BenchResults {
  database: 'sqlite' | 'postgres';
  mode: 'full' | 'quick';
  startedAt: string;
  durationSeconds: number;
  machine: Machine;
  source: SourceState;
  sizes: SizeResult[];
  langflowStatements?: { size: number; statements: number; expected: number };
  memory: {
    restRssMiB: number;
    /** How the peak was read: VmHWM after resetting it, or sampling VmRSS every 5 ms. */
    method: string;
    peaks: { size: number; peakRssMiB: number; overRestMiB: number }[];
  };
  throughput: {
    renameSessionSize: number;
    rename: LoadResult;
    health: LoadResult;
    renameOverHealth: number;
    /** The plain floor server under the same loads, interleaved with the service's. */
    plainRename?: LoadResult;
    plainHealth?: LoadResult;
    /** service rps / plain rps. */
    renameOverPlain?: number;
    healthOverPlain?: number;
  };
  /** PostgreSQL only: the scaling renames again through a proxy that delays each direction. */
  network?: NetworkResults;
  notes: string[];
  goals: Goal[];
}

export interface NetworkResults {
  delayMsEachWay: number;
  /** Median round trip of `SELECT 1`, direct and through the proxy, in milliseconds. */
  roundTripMs: { direct: number; proxied: number };
  sizes: SizeResult[];
}

export function mib(bytes: number): number {
  return round(bytes / 2 ** 20, 1);
}

/** The goals of issue 11, evaluated on one run; null where the run did not measure them. */
export function evaluateGoals(results: BenchResults): Goal[] {
  const goals: Goal[] = [];
  const database = results.database === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const { throughput } = results;

  const renameTarget = results.database === 'sqlite' ? 0.6 : 0.8;
  goals.push(
    ratioGoal(
      `Small renames (${throughput.renameSessionSize} messages, ${throughput.rename.connections} connections) vs the plain server on ${database}`,
      renameTarget,
      throughput.renameOverPlain,
      throughput.rename,
      throughput.plainRename,
    ),
  );
  goals.push(
    ratioGoal(
      'GET /health vs the plain server',
      0.5,
      throughput.healthOverPlain,
      throughput.health,
      throughput.plainHealth,
    ),
  );

  for (const size of [10_000, 100_000]) {
    const entry = results.sizes.find((candidate) => candidate.size === size);
    const label = size.toLocaleString('en-US');
    goals.push({
      goal: `Rename of ${label} messages vs the database floor`,
      target: 'service/floor <= 1.2',
      measured:
        entry?.serviceOverFloor !== undefined
          ? `${entry.serviceOverFloor}x (${entry.service!.median} vs ${entry.floor!.median} ms)`
          : 'not measured',
      met: entry?.serviceOverFloor !== undefined ? entry.serviceOverFloor <= 1.2 : null,
    });
  }

  const network = results.network?.sizes.find((entry) => entry.size === 10_000);
  goals.push({
    goal: `Langflow's algorithm vs the service at 10,000 messages, ${results.network?.delayMsEachWay ?? 0.5} ms each way to PostgreSQL`,
    target: 'langflow/service >= 100',
    measured:
      network?.langflowOverService !== undefined
        ? `${network.langflowOverService}x (${network.langflow!.median} vs ${network.service!.median} ms)`
        : results.database === 'sqlite'
          ? 'not measured (PostgreSQL only)'
          : 'not measured',
    met: network?.langflowOverService !== undefined ? network.langflowOverService >= 100 : null,
  });

  const million = results.memory.peaks.find((peak) => peak.size === 1_000_000);
  const largest = results.memory.peaks[results.memory.peaks.length - 1];
  // 100 MB, in the MiB the report uses.
  const limitMiB = round(100e6 / 2 ** 20, 1);
  goals.push({
    goal: 'Peak RSS over rest while renaming 1,000,000 messages',
    target: `<= +100 MB (${limitMiB} MiB)`,
    measured: million
      ? `+${million.overRestMiB} MiB (rest ${results.memory.restRssMiB} MiB, peak ${million.peakRssMiB} MiB)`
      : largest
        ? `not measured (no 1,000,000 session in this run); at ${largest.size.toLocaleString('en-US')}: +${largest.overRestMiB} MiB`
        : 'not measured',
    met: million ? million.overRestMiB <= limitMiB : null,
  });
  return goals;
}

function ratioGoal(
  goal: string,
  target: number,
  ratio: number | undefined,
  service: LoadResult,
  plain: LoadResult | undefined,
): Goal {
  const errors = service.errors + (plain?.errors ?? 0);
  return {
    goal,
    target: `service/plain >= ${target}, zero errors`,
    measured:
      ratio !== undefined && plain
        ? `${ratio} (${service.rps} vs ${plain.rps} rps; errors ${service.errors} + ${plain.errors})`
        : 'not measured',
    met: ratio !== undefined ? ratio >= target && errors === 0 : null,
  };
}

/** The median table of a set of sizes, for the contenders given (those with a ratio column). */
function latencyTable(
  sizes: SizeResult[],
  contenders: readonly Contender[] = CONTENDERS,
): string[] {
  const has = (contender: Contender) => contenders.includes(contender);
  const header = ['messages', ...contenders.map((contender) => CONTENDER_NAMES[contender])];
  if (has('plain')) {
    header.push('service/plain');
  }
  if (has('floor')) {
    header.push('service/floor');
  }
  if (has('langflow')) {
    header.push('Langflow/service');
  }
  header.push(`runs (${contenders.map((contender) => contender[0]).join('/')})`, 'answer');
  if (has('floor')) {
    header.push('service peak RSS');
  }
  const lines = [
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, index) => (index === header.length - 1 - (has('floor') ? 2 : 1) ? ':---:' : '---:')).join(' | ')} |`,
  ];
  for (const entry of sizes) {
    const cells = [
      entry.size.toLocaleString('en-US'),
      ...contenders.map((contender) => formatMs(entry[contender], entry.skipped[contender])),
    ];
    if (has('plain')) {
      cells.push(formatRatio(entry.serviceOverPlain));
    }
    if (has('floor')) {
      cells.push(formatRatio(entry.serviceOverFloor));
    }
    if (has('langflow')) {
      cells.push(formatRatio(entry.langflowOverService));
    }
    cells.push(
      contenders.map((contender) => entry[contender]?.runs ?? 0).join('/'),
      entry.responseBytes !== undefined ? `${mib(entry.responseBytes)} MiB` : '—',
    );
    if (has('floor')) {
      cells.push(entry.servicePeakRssMiB !== undefined ? `${entry.servicePeakRssMiB} MiB` : '—');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines;
}

const CONTENDER_NAMES: Record<Contender, string> = {
  service: 'service',
  plain: 'plain',
  floor: 'floor',
  langflow: 'Langflow',
};

function skipLines(sizes: SizeResult[]): string[] {
  const skips = sizes.flatMap((entry) =>
    Object.entries(entry.skipped).map(
      ([contender, reason]) => `${contender} at ${entry.size.toLocaleString('en-US')}: ${reason}`,
    ),
  );
  return skips.length > 0 ? ['', `Skipped: ${skips.join('; ')}.`] : [];
}

function formatMs(summary: Summary | undefined, skipped: string | undefined): string {
  if (!summary) {
    return skipped ? `skipped` : '—';
  }
  return summary.median >= 100 ? `${Math.round(summary.median)}` : `${summary.median.toFixed(2)}`;
}

function formatRatio(value: number | undefined): string {
  return value === undefined ? '—' : `${value}x`;
}

export function renderMarkdown(results: BenchResults): string {
  const lines: string[] = [];
  const database = results.database === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  lines.push(
    `# Rename benchmark on ${database}, Node ${results.machine.node} (${results.mode} run)`,
  );
  lines.push('');
  lines.push(`Machine: ${machineLine(results.machine)}; ${results.machine.os}.`);
  lines.push(
    `Run ${results.startedAt}, ${Math.round(results.durationSeconds)} s; 1-minute load average ` +
      `${results.machine.loadAverage.start} at start, ${results.machine.loadAverage.end ?? '?'} at end.`,
  );
  lines.push(
    `Service built from commit ${results.source.commit}${results.source.srcDirty ? ' with uncommitted changes in src/ (the work tree as it was)' : ''}.`,
  );
  lines.push('');
  lines.push('## Rename latency, median milliseconds');
  lines.push('');
  lines.push(...latencyTable(results.sizes));
  lines.push(...skipLines(results.sizes));
  if (results.langflowStatements) {
    const { size, statements, expected } = results.langflowStatements;
    lines.push('');
    lines.push(
      `Langflow's algorithm sent ${statements} statements to rename ${size} messages (2N+1 = ${expected}).`,
    );
  }
  lines.push('');
  lines.push('## Throughput');
  lines.push('');
  const { rename, health, renameSessionSize, renameOverHealth } = results.throughput;
  const { plainRename, plainHealth, renameOverPlain, healthOverPlain } = results.throughput;
  lines.push(
    '| load | server | connections | seconds | requests | rps | p50 ms | p99 ms | max ms | errors |',
  );
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const loads: [string, string, LoadResult | undefined][] = [
    [`rename of ${renameSessionSize}-message sessions`, 'service', rename],
    [`rename of ${renameSessionSize}-message sessions`, 'plain', plainRename],
    ['GET /health', 'service', health],
    ['GET /health', 'plain', plainHealth],
  ];
  for (const [name, server, load] of loads) {
    if (load) {
      lines.push(
        `| ${name} | ${server} | ${load.connections} | ${load.seconds} | ${load.requests} | ${load.rps} | ` +
          `${load.p50Ms} | ${load.p99Ms} | ${load.maxMs} | ${load.errors} |`,
      );
    }
  }
  lines.push('');
  if (renameOverPlain !== undefined && healthOverPlain !== undefined) {
    lines.push(
      `Service/plain: renames ${renameOverPlain}, \`GET /health\` ${healthOverPlain} (the two servers' loads interleaved). ` +
        `Renames hold ${renameOverHealth} of the service's /health rate.`,
    );
  } else {
    lines.push(`Renames hold ${renameOverHealth} of /health's request rate.`);
  }
  for (const [name, server, load] of loads) {
    if (load && load.errors > 0) {
      lines.push('');
      lines.push(
        `**${load.errors} ${name} requests to the ${server} server failed**, e.g.: ${load.errorSamples.map((sample) => `\`${sample}\``).join('; ')}.`,
      );
    }
  }
  lines.push('');
  if (results.network) {
    const { delayMsEachWay, roundTripMs, sizes } = results.network;
    lines.push(`## Over a network: ${delayMsEachWay} ms each way to PostgreSQL`);
    lines.push('');
    lines.push(
      `The service, the plain server and Langflow's algorithm again, each talking to PostgreSQL through ` +
        `a loopback TCP proxy (\`bench/delay-proxy.ts\`) that holds every chunk ${delayMsEachWay} ms in each ` +
        `direction. \`SELECT 1\` round trip: ${roundTripMs.direct} ms direct, ${roundTripMs.proxied} ms through the proxy (median).`,
    );
    lines.push('');
    lines.push(...latencyTable(sizes, ['service', 'plain', 'langflow']));
    lines.push(...skipLines(sizes));
    lines.push('');
  }
  lines.push('## Memory');
  lines.push('');
  lines.push(
    `The service's RSS at rest (started, warmed up, idle): ${results.memory.restRssMiB} MiB. Peak: ${results.memory.method}.`,
  );
  lines.push('');
  lines.push('| messages renamed | peak RSS | over rest |');
  lines.push('| ---: | ---: | ---: |');
  for (const peak of results.memory.peaks) {
    lines.push(
      `| ${peak.size.toLocaleString('en-US')} | ${peak.peakRssMiB} MiB | +${peak.overRestMiB} MiB |`,
    );
  }
  lines.push('');
  lines.push('## Goals');
  lines.push('');
  lines.push('| goal | target | measured | |');
  lines.push('| --- | --- | --- | --- |');
  for (const goal of results.goals) {
    const verdict = goal.met === null ? 'not measured' : goal.met ? 'met' : '**missed**';
    lines.push(`| ${goal.goal} | ${goal.target} | ${goal.measured} | ${verdict} |`);
  }
  if (results.notes.length > 0) {
    lines.push('');
    lines.push('## Notes');
    lines.push('');
    for (const note of results.notes) {
      lines.push(`- ${note}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}
