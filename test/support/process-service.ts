import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { childEnv, PROJECT_ROOT, ProcessResult } from './cli-runner';

/** The service run from source as a real process, as `npm start` runs it (without the watcher). */
const SERVICE_COMMAND = ['-r', 'ts-node/register/transpile-only', 'src/main.ts'];

// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\u001b\[[0-9;]*m/g;

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One JSON log line: pino's fields plus whatever the line carries. */
export interface LogLine {
  level: string;
  time: string;
  msg: string;
  context?: string;
  reqId?: string;
  [field: string]: unknown;
}

export class ServiceProcess {
  private stdoutText = '';
  private stderrText = '';
  readonly exited: Promise<ProcessResult>;

  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdoutText += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderrText += chunk));
    this.exited = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) =>
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }),
      );
    });
  }

  /** Spawns the service with `env` (over the runner's environment, its service settings removed). */
  static spawn(env: Record<string, string | undefined>): ServiceProcess {
    return ServiceProcess.launch([process.execPath, ...SERVICE_COMMAND], env);
  }

  /**
   * Runs `command` from the project root as the service's launcher (`npm start`, `node dist/...`),
   * in a process group of its own so that a failed test can end the whole tree.
   */
  static launch(command: string[], env: Record<string, string | undefined>): ServiceProcess {
    const port = env.PORT ?? '0';
    const child = spawn(command[0], command.slice(1), {
      cwd: PROJECT_ROOT,
      env: childEnv({ NO_COLOR: '1', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: command[0] !== process.execPath,
    });
    return new ServiceProcess(child, `http://127.0.0.1:${port}`);
  }

  /** The pid of the process this object started (npm's, for `npm start`). */
  get pid(): number {
    return this.child.pid!;
  }

  /** Sends `signal` to the started process only, not to its children. */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Spawns the service on a free port and waits until GET /health answers 200. */
  static async start(env: Record<string, string | undefined>): Promise<ServiceProcess> {
    const service = ServiceProcess.spawn({ ...env, PORT: String(await freePort()) });
    await service.waitUntilHealthy();
    return service;
  }

  /** What it printed on standard output so far, without colours. */
  get stdout(): string {
    return this.stdoutText.replace(ANSI_ESCAPE, '');
  }

  get stderr(): string {
    return this.stderrText.replace(ANSI_ESCAPE, '');
  }

  /** Standard output's JSON log lines (the service logs JSON when stdout is not a terminal). */
  logLines(): LogLine[] {
    return this.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitUntilHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (Date.now() < deadline) {
      if (exited) {
        throw new Error(`the service exited before it answered:\n${this.stdout}\n${this.stderr}`);
      }
      try {
        const response = await fetch(`${this.baseUrl}/health`);
        if (response.status === 200) {
          return;
        }
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`the service did not answer /health in ${timeoutMs} ms:\n${this.stderr}`);
  }

  /** Waits for the process to end by itself, killing it if it has not after `timeoutMs`. */
  async waitForExit(timeoutMs = 60_000): Promise<ProcessResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.kill();
        reject(new Error(`the service did not exit within ${timeoutMs} ms:\n${this.stderr}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal` and waits for the process to exit. */
  stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<ProcessResult> {
    this.child.kill(signal);
    return this.waitForExit(timeoutMs);
  }

  /** Ends the process at once (cleanup after a failed test), with its group when it has one. */
  kill(): void {
    if (this.running) {
      this.child.kill('SIGKILL');
    }
    if (this.child.spawnargs[0] !== process.execPath && this.child.pid !== undefined) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    }
  }
}
