import { performance } from 'node:perf_hooks';
import { HttpClient } from './http';
import { percentile, round } from './stats';

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  /** The first few error descriptions, to explain a non-zero count. */
  errorSamples: string[];
}

/**
 * What one connection sends next; `connection` is its index, `sequence` counts its requests.
 * `samples`, when given, is where this request's latency goes instead of the load's (a mixed load
 * kept apart by kind); the load's measured time is added to it too.
 */
export type NextRequest = (
  connection: number,
  sequence: number,
) => {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  samples?: LoadSamples;
};

/** What loads measured, so that several short loads of one server add up to one result. */
export class LoadSamples {
  readonly latencies: number[] = [];
  readonly errorSamples: string[] = [];
  errors = 0;
  seconds = 0;

  constructor(readonly connections: number) {}

  result(): LoadResult {
    const latencies = [...this.latencies].sort((a, b) => a - b);
    return {
      connections: this.connections,
      seconds: round(this.seconds, 2),
      requests: latencies.length,
      rps: round(latencies.length / this.seconds, 1),
      p50Ms: round(percentile(latencies, 0.5)),
      p99Ms: round(percentile(latencies, 0.99)),
      maxMs: round(latencies[latencies.length - 1] ?? Number.NaN),
      errors: this.errors,
      errorSamples: this.errorSamples,
    };
  }
}

/**
 * A closed-loop load: `connections` keep-alive connections, each sending its next request as soon
 * as the previous answer is fully read, for `seconds`. A request counts as an error unless it
 * answers 2xx. A warm-up of `warmupSeconds` runs first and is not counted. The measurements are
 * added to `samples`.
 */
export async function runLoad(
  baseUrl: string,
  connections: number,
  seconds: number,
  next: NextRequest,
  warmupSeconds = 1,
  samples = new LoadSamples(connections),
): Promise<LoadSamples> {
  const client = new HttpClient(baseUrl, connections);
  const sequences = new Array<number>(connections).fill(0);
  const recorded = new Set<LoadSamples>([samples]);

  async function loop(connection: number, until: number, record: boolean): Promise<void> {
    while (performance.now() < until) {
      const request = next(connection, sequences[connection]);
      const { method, path, headers, body } = request;
      sequences[connection] += 1;
      const startedAt = performance.now();
      let failure: string | undefined;
      try {
        const response = await client.request(method, path, headers, false, body);
        if (response.status < 200 || response.status >= 300) {
          failure = `${method} ${path}: HTTP ${response.status}`;
        }
      } catch (error) {
        failure = `${method} ${path}: ${(error as Error).message}`;
      }
      if (!record) {
        continue;
      }
      const into = request.samples ?? samples;
      recorded.add(into);
      into.latencies.push(performance.now() - startedAt);
      if (failure !== undefined) {
        into.errors += 1;
        if (into.errorSamples.length < 5) {
          into.errorSamples.push(failure);
        }
      }
    }
  }

  try {
    const warmupUntil = performance.now() + warmupSeconds * 1000;
    await Promise.all(Array.from({ length: connections }, (_, i) => loop(i, warmupUntil, false)));
    const startedAt = performance.now();
    const until = startedAt + seconds * 1000;
    await Promise.all(Array.from({ length: connections }, (_, i) => loop(i, until, true)));
    const measured = (performance.now() - startedAt) / 1000;
    for (const into of recorded) {
      into.seconds += measured;
    }
    return samples;
  } finally {
    client.close();
  }
}
