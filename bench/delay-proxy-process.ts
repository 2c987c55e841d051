import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from './paths';

/** bench/delay-proxy.ts running as a child process, in front of one PostgreSQL server. */
export class DelayProxyProcess {
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('exit', () => {
      this.exited = true;
    });
  }

  /** Starts a proxy to host:port that delays each direction by delayMs. */
  static async start(target: URL, delayMs: number): Promise<DelayProxyProcess> {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'bench', 'delay-proxy.ts')],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          PROXY_TARGET_HOST: target.hostname || '127.0.0.1',
          PROXY_TARGET_PORT: target.port || '5432',
          PROXY_DELAY_MS: String(delayMs),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const port = await new Promise<number>((resolve, reject) => {
      const timeout = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the delay proxy did not start within 30 s:\n${output}`));
      }, 30_000);
      const read = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const match = /listening on (\d+)/.exec(output);
        if (match) {
          clearTimeout(timeout);
          resolve(Number(match[1]));
        }
      };
      child.stdout?.on('data', read);
      child.stderr?.on('data', read);
      child.once('exit', (code) => {
        clearTimeout(timeout);
        reject(new Error(`the delay proxy exited (${code}):\n${output}`));
      });
    });
    return new DelayProxyProcess(child, port);
  }

  /** The PostgreSQL URL with the proxy in place of the server. */
  urlFor(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  async stop(): Promise<void> {
    if (this.exited) {
      return;
    }
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    if ((await Promise.race([exited, sleep(5000).then(() => 'timeout')])) === 'timeout') {
      this.child.kill('SIGKILL');
      await exited;
    }
  }
}
