import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './process-service';

/** Debian's pgbouncer package puts it here; PGBOUNCER overrides. */
const PGBOUNCER = process.env.PGBOUNCER ?? '/usr/sbin/pgbouncer';

export type PoolMode = 'transaction' | 'session';

/**
 * A real PgBouncer of the test's own, with its own ini file, on a free loopback port, in front of
 * the PostgreSQL server of `upstreamUrl`. Any database name is routed to the same server.
 */
export class PgBouncer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly directory: string,
    readonly port: number,
    private readonly upstream: URL,
    private output: { text: string },
  ) {}

  static async start(
    upstreamUrl: string,
    options: { poolMode?: PoolMode; poolSize?: number } = {},
  ): Promise<PgBouncer> {
    const upstream = new URL(upstreamUrl);
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'pgbouncer-'));
    // PgBouncer refuses to run as root; as root it is started as nobody, who must read the files.
    fs.chmodSync(directory, 0o755);
    const user = decodeURIComponent(upstream.username || 'postgres');
    fs.writeFileSync(path.join(directory, 'users.txt'), `"${user}" ""\n`, { mode: 0o644 });
    const port = await freePort();
    const ini = [
      '[databases]',
      `* = host=${upstream.hostname} port=${upstream.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(directory, 'users.txt')}`,
      `pool_mode = ${options.poolMode ?? 'transaction'}`,
      `default_pool_size = ${options.poolSize ?? 20}`,
      'max_client_conn = 500',
      'server_reset_query = DISCARD ALL',
      'logfile =',
      'pidfile =',
      '',
    ].join('\n');
    const iniFile = path.join(directory, 'pgbouncer.ini');
    fs.writeFileSync(iniFile, ini, { mode: 0o644 });
    const asNobody = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
    const child = spawn(PGBOUNCER, [...asNobody, iniFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = { text: '' };
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
    const bouncer = new PgBouncer(child, directory, port, upstream, output);
    await bouncer.waitUntilListening();
    return bouncer;
  }

  /** The upstream URL with PgBouncer in between (same user, database and parameters). */
  url(database?: string): string {
    const url = new URL(this.upstream.toString());
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    if (database) {
      url.pathname = `/${database}`;
    }
    return url.toString();
  }

  get log(): string {
    return this.output.text;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('close', resolve));
      this.child.kill('SIGINT');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.directory, { recursive: true, force: true });
  }

  private async waitUntilListening(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) {
        throw new Error(`pgbouncer exited at start:\n${this.output.text}`);
      }
      const open = await new Promise<boolean>((resolve) => {
        const socket = net.connect(this.port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (open) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`pgbouncer did not listen on ${this.port}:\n${this.output.text}`);
  }
}

/** Creates (or drops) a database on the server of `url`, connecting to it directly. */
export async function createDatabase(url: string, name: string): Promise<void> {
  await adminQuery(url, `CREATE DATABASE "${name}"`);
}

export async function dropDatabase(url: string, name: string): Promise<void> {
  await adminQuery(url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

/** One statement on its own connection to `url` (creating databases, changing settings). */
export async function adminQuery(url: string, sql: string): Promise<void> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
