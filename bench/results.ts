import { LoadResult } from './load';
import { Machine, machineLine, SourceState } from './machine';
import { round, Summary } from './stats';

export const CONTENDERS = ['service', 'floor', 'langflow'] as const;
export type Contender = (typeof CONTENDERS)[number];

export const CONTENDER_LABELS: Record<Contender, string> = {
  service: 'service (HTTP, end to end)',
  floor: 'floor (driver: UPDATE + SELECT)',
  langflow: "Langflow's algorithm (TypeORM, 2N+1)",
};

export interface SizeResult {
  size: number;
  /** Timings in milliseconds; a contender that did not run has `skipped` instead. */
  service?: Summary;
  floor?: Summary;
  langflow?: Summary;
  skipped: Partial<Record<Contender, string>>;
  serviceOverFloor?: number;
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
  };
  notes: string[];
  goals: Goal[];
}

export function mib(bytes: number): number {
  return round(bytes / 2 ** 20, 1);
}

export function evaluateGoals(results: BenchResults): Goal[] {
  const at = (size: number) => results.sizes.find((entry) => entry.size === size);
  const goals: Goal[] = [];

  const tenK = at(10_000);
  goals.push({
    goal: 'Service vs floor at 10,000 messages',
    target: 'service/floor <= 1.5',
    measured: tenK?.serviceOverFloor !== undefined ? `${tenK.serviceOverFloor}x` : 'not measured',
    met: tenK?.serviceOverFloor !== undefined ? tenK.serviceOverFloor <= 1.5 : null,
  });

  goals.push({
    goal: "Langflow's algorithm vs service at 10,000 messages",
    target: 'langflow/service >= 20',
    measured:
      tenK?.langflowOverService !== undefined ? `${tenK.langflowOverService}x` : 'not measured',
    met: tenK?.langflowOverService !== undefined ? tenK.langflowOverService >= 20 : null,
  });

  const million = results.memory.peaks.find((peak) => peak.size === 1_000_000);
  const largest = results.memory.peaks[results.memory.peaks.length - 1];
  goals.push({
    goal: 'Peak RSS over rest while renaming 1,000,000 messages',
    target: '<= 150 MiB',
    measured: million
      ? `+${million.overRestMiB} MiB (rest ${results.memory.restRssMiB} MiB, peak ${million.peakRssMiB} MiB)`
      : largest
        ? `not measured (no 1,000,000 session on ${results.database}); at ${largest.size.toLocaleString('en-US')}: +${largest.overRestMiB} MiB`
        : 'not measured',
    met: million ? million.overRestMiB <= 150 : null,
  });

  const ratio = results.throughput.renameOverHealth;
  goals.push({
    goal: 'Small renames vs GET /health, requests per second',
    target: '>= 1/3 (0.333) of /health, zero errors',
    measured: `${ratio} (${results.throughput.rename.rps} vs ${results.throughput.health.rps} rps; errors ${results.throughput.rename.errors} + ${results.throughput.health.errors})`,
    met:
      ratio >= 1 / 3 && results.throughput.rename.errors + results.throughput.health.errors === 0,
  });
  return goals;
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
  lines.push(`# Rename benchmark on ${database} (${results.mode} run)`);
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
  lines.push(
    '| messages | service | floor | Langflow | service/floor | Langflow/service | runs (s/f/L) | answer | service peak RSS |',
  );
  lines.push('| ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: |');
  for (const entry of results.sizes) {
    const runs = CONTENDERS.map((contender) => entry[contender]?.runs ?? 0).join('/');
    lines.push(
      `| ${entry.size.toLocaleString('en-US')} | ${formatMs(entry.service, entry.skipped.service)} | ` +
        `${formatMs(entry.floor, entry.skipped.floor)} | ${formatMs(entry.langflow, entry.skipped.langflow)} | ` +
        `${formatRatio(entry.serviceOverFloor)} | ${formatRatio(entry.langflowOverService)} | ${runs} | ` +
        `${entry.responseBytes !== undefined ? `${mib(entry.responseBytes)} MiB` : '—'} | ` +
        `${entry.servicePeakRssMiB !== undefined ? `${entry.servicePeakRssMiB} MiB` : '—'} |`,
    );
  }
  const skips = results.sizes.flatMap((entry) =>
    Object.entries(entry.skipped).map(
      ([contender, reason]) => `${contender} at ${entry.size.toLocaleString('en-US')}: ${reason}`,
    ),
  );
  if (skips.length > 0) {
    lines.push('');
    lines.push(`Skipped: ${skips.join('; ')}.`);
  }
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
  lines.push(
    '| load | connections | seconds | requests | rps | p50 ms | p99 ms | max ms | errors |',
  );
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, load] of [
    [`rename of ${renameSessionSize}-message sessions`, rename],
    ['GET /health', health],
  ] as const) {
    lines.push(
      `| ${name} | ${load.connections} | ${load.seconds} | ${load.requests} | ${load.rps} | ` +
        `${load.p50Ms} | ${load.p99Ms} | ${load.maxMs} | ${load.errors} |`,
    );
  }
  lines.push('');
  lines.push(`Renames hold ${renameOverHealth} of /health's request rate.`);
  for (const [name, load] of [
    ['rename', rename],
    ['/health', health],
  ] as const) {
    if (load.errors > 0) {
      lines.push('');
      lines.push(
        `**${load.errors} ${name} requests failed**, e.g.: ${load.errorSamples.map((sample) => `\`${sample}\``).join('; ')}.`,
      );
    }
  }
  lines.push('');
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
