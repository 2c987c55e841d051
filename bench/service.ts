import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpClient } from './http';
import { NodeRuntime } from './node-runtime';
import { ROOT, SERVICE_ENTRY } from './paths';

export interface ServiceOptions {
  env: Record<string, string>;
  apiKey: string;
  /** When set, the service runs with --cpu-prof and writes its profile here on stop. */
  profileDir?: string;
  /** What node runs instead of the built service (the plain floor server), from the root. */
  entry?: string[];
  /** The Node that runs it (default: the bench's own). */
  node?: NodeRuntime;
  /** A command that runs node (valgrind and its options), keeping node's process id. */
  wrapper?: string[];
  /** How long it may take to answer GET /health (default 60 s). */
  startTimeoutMs?: number;
}

/**
 * The built service (or another HTTP server answering `GET /health`, such as the plain floor
 * server), running as a child process on a free loopback port.
 */
export class ServiceProcess {
  private stderr = '';
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {
    // Nest logs errors to stderr and the rest (BENCH_LOG_LEVEL=debug) to stdout: both are kept,
    // the tail only, enough to explain a failure.
    for (const output of [child.stdout, child.stderr]) {
      output?.setEncoding('utf8');
      output?.on('data', (chunk: string) => {
        this.stderr = (this.stderr + chunk).slice(-20_000);
      });
    }
    child.on('exit', () => {
      this.exited = true;
    });
  }

  static async start(options: ServiceOptions): Promise<ServiceProcess> {
    const port = await freePort();
    const node = options.node ?? NodeRuntime.current();
    const nodeArgs = [...node.nodeArgs];
    if (options.profileDir) {
      fs.mkdirSync(options.profileDir, { recursive: true });
      // The preload turns SIGUSR2 into a normal exit, which is when V8 writes the profile.
      nodeArgs.push(
        '--cpu-prof',
        `--cpu-prof-dir=${options.profileDir}`,
        '--require',
        path.join(__dirname, 'profile-exit.js'),
      );
    }
    const command = [
      ...(options.wrapper ?? []),
      node.path,
      ...nodeArgs,
      ...(options.entry ?? [SERVICE_ENTRY]),
    ];
    const child = spawn(command[0], command.slice(1), {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'production',
        PORT: String(port),
        // BENCH_LOG_LEVEL=debug shows the service's SQL and errors when a run goes wrong.
        LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
        MONITOR_SUPERUSER_API_KEY: options.apiKey,
        ...node.env,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(child, `http://127.0.0.1:${port}`);
    await service.waitUntilHealthy(options.startTimeoutMs ?? 60_000);
    return service;
  }

  /** The last lines the service wrote (LOG_LEVEL=error, the bench's default: its errors). */
  get outputTail(): string {
    return this.stderr;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resident memory now, in bytes (VmRSS). */
  rss(): number {
    return readStatusBytes(this.pid, 'VmRSS');
  }

  /** Peak resident memory since start or since the last resetPeak (VmHWM), in bytes. */
  peakRss(): number {
    return readStatusBytes(this.pid, 'VmHWM');
  }

  /**
   * Sets the peak back to the current RSS (Linux: writing 5 to clear_refs). Returns false where
   * the kernel refuses, in which case the caller relies on sampling.
   */
  resetPeak(): boolean {
    try {
      fs.writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
      return true;
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    if (this.exited) {
      return;
    }
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(this.child.spawnargs.includes('--cpu-prof') ? 'SIGUSR2' : 'SIGTERM');
    const timeout = sleep(15_000).then(() => 'timeout' as const);
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      this.child.kill('SIGKILL');
      await exited;
    }
  }

  /** Throws with the service's last words when it has died. */
  assertAlive(): void {
    if (this.exited) {
      throw new Error(`the service exited unexpectedly:\n${this.stderr}`);
    }
  }

  private async waitUntilHealthy(timeoutMs: number): Promise<void> {
    const client = new HttpClient(this.baseUrl, 1);
    const deadline = Date.now() + timeoutMs;
    try {
      while (Date.now() < deadline) {
        this.assertAlive();
        try {
          const response = await client.request('GET', '/health');
          if (response.status === 200) {
            return;
          }
        } catch {
          // Not listening yet.
        }
        await sleep(100);
      }
    } finally {
      client.close();
    }
    this.child.kill('SIGKILL');
    throw new Error(
      `the service did not become healthy within ${timeoutMs / 1000} s:\n${this.stderr}`,
    );
  }
}

function readStatusBytes(pid: number, field: string): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) {
    throw new Error(`/proc/${pid}/status has no ${field}`);
  }
  return Number(match[1]) * 1024;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}
