import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { parseLsn } from '../../src/database/replicas/lsn';
import { freePort } from './process-service';

/** Where Debian puts each PostgreSQL version's server binaries; the newest one is used. */
const POSTGRES_LIBS = '/usr/lib/postgresql';

/** The newest PostgreSQL version's bin directory that has initdb; fails (never skips) without one. */
function postgresBinDir(): string {
  const versions = fs.existsSync(POSTGRES_LIBS) ? fs.readdirSync(POSTGRES_LIBS) : [];
  const found = versions
    .filter((version) => fs.existsSync(path.join(POSTGRES_LIBS, version, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  if (found.length === 0) {
    throw new Error(
      `no PostgreSQL server binaries under ${POSTGRES_LIBS}/*/bin (apt-get install postgresql)`,
    );
  }
  return path.join(POSTGRES_LIBS, found[0], 'bin');
}

/** One cluster of the pair: its data directory, port and server log. */
interface Cluster {
  dataDir: string;
  port: number;
  logFile: string;
}

/**
 * A PostgreSQL primary and a hot standby streaming from it, of the test's own: two throwaway
 * clusters on free loopback ports with trust authentication, so that read replicas can be tested
 * for real (lag, a standby that dies and comes back) without touching the machine's PostgreSQL.
 *
 * PostgreSQL refuses to run as root: as root, its programs run as the `postgres` OS user, in a
 * temporary directory handed to that user. Startup (initdb, a base backup, two starts) takes a
 * few seconds. `stop()` must be called (from afterAll, even after a failed start); should the test
 * process exit first, the clusters are shut down on its way out.
 */
export class StandbyPair {
  private readonly exitHandler = () => this.killOnExit();

  private constructor(
    private readonly binDir: string,
    private readonly directory: string,
    private readonly primary: Cluster,
    private readonly standby: Cluster,
  ) {
    process.once('exit', this.exitHandler);
  }

  /** `postgres://postgres@127.0.0.1:<port>/postgres`: trust authentication, loopback only. */
  get primaryUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.primary.port}/postgres`;
  }

  get standbyUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.standby.port}/postgres`;
  }

  /**
   * Creates, starts and connects both clusters. `applyDelayMs` is the standby's
   * `recovery_min_apply_delay`: every commit becomes visible there that long after the primary's,
   * which makes lag deterministic.
   */
  static async start(options: { applyDelayMs?: number } = {}): Promise<StandbyPair> {
    const binDir = postgresBinDir();
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-standby-'));
    fs.chmodSync(directory, 0o700);
    if (runsAsRoot()) {
      const [uid, gid] = ['-u', '-g'].map((flag) =>
        Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim()),
      );
      fs.chownSync(directory, uid, gid);
    }
    const cluster = async (name: string): Promise<Cluster> => ({
      dataDir: path.join(directory, name),
      port: await freePort(),
      logFile: path.join(directory, `${name}.log`),
    });
    const pair = new StandbyPair(
      binDir,
      directory,
      await cluster('primary'),
      await cluster('standby'),
    );
    try {
      await pair.createPrimary();
      await pair.createStandby(options.applyDelayMs ?? 0);
      return pair;
    } catch (error) {
      const logs = pair.logs();
      await pair.stop();
      throw new Error(`${(error as Error).message}\n${logs}`);
    }
  }

  /** Stops the standby (`immediate`: as if it crashed); its connections are cut. */
  async stopStandby(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.run('pg_ctl', ['stop', '-D', this.standby.dataDir, '-m', mode, '-w', '-t', '30']);
  }

  /** Starts the stopped standby again; resolves once it accepts connections. */
  async startStandby(): Promise<void> {
    await this.startCluster(this.standby);
  }

  /** Changes the standby's `recovery_min_apply_delay` while it runs (a reloadable setting). */
  async setApplyDelay(ms: number): Promise<void> {
    await withClient(this.standbyUrl, async (client) => {
      await client.query(`ALTER SYSTEM SET recovery_min_apply_delay = '${Math.round(ms)}ms'`);
      await client.query('SELECT pg_reload_conf()');
      // The postmaster signals the recovery process and the backends together: once this session
      // sees the new value, so has recovery been told.
      const wanted = `${Math.round(ms)}ms`;
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await client.query<{ delay: string }>(
          "SELECT setting || unit AS delay FROM pg_settings WHERE name = 'recovery_min_apply_delay'",
        );
        if (rows[0].delay === wanted) {
          return;
        }
        if (Date.now() > deadline) {
          throw new Error(`recovery_min_apply_delay is still ${rows[0].delay}, not ${wanted}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
  }

  /**
   * Waits until the standby has replayed everything the primary had written when this was called
   * (its `pg_last_wal_replay_lsn()` reaches the primary's `pg_current_wal_lsn()`).
   */
  async waitForReplay(timeoutMs = 30_000): Promise<void> {
    const target = await withClient(this.primaryUrl, (client) => currentLsn(client));
    await withClient(this.standbyUrl, async (client) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { rows } = await client.query<{ lsn: string }>(
          'SELECT pg_last_wal_replay_lsn()::text AS lsn',
        );
        if (parseLsn(rows[0].lsn) >= target) {
          return;
        }
        if (Date.now() > deadline) {
          throw new Error(`the standby did not replay up to the primary in ${timeoutMs} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
  }

  /** Stops both clusters (as a crash would: nothing here needs to be kept) and removes them. */
  async stop(): Promise<void> {
    process.removeListener('exit', this.exitHandler);
    for (const cluster of [this.standby, this.primary]) {
      if (fs.existsSync(path.join(cluster.dataDir, 'postmaster.pid'))) {
        await this.run('pg_ctl', ['stop', '-D', cluster.dataDir, '-m', 'immediate', '-w']).catch(
          () => killPostmaster(cluster),
        );
      }
    }
    fs.rmSync(this.directory, { recursive: true, force: true });
  }

  private async createPrimary(): Promise<void> {
    const { dataDir, port } = this.primary;
    await this.run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync']);
    fs.appendFileSync(
      path.join(dataDir, 'postgresql.conf'),
      [
        '',
        "listen_addresses = '127.0.0.1'",
        `port = ${port}`,
        `unix_socket_directories = '${this.directory}'`,
        'wal_level = replica',
        'max_wal_senders = 5',
        'fsync = off',
        'full_page_writes = off',
        'shared_buffers = 16MB',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(dataDir, 'pg_hba.conf'),
      [
        'local all all trust',
        'host all all 127.0.0.1/32 trust',
        'host replication all 127.0.0.1/32 trust',
        '',
      ].join('\n'),
    );
    await this.startCluster(this.primary);
  }

  private async createStandby(applyDelayMs: number): Promise<void> {
    const { dataDir, port } = this.standby;
    // -R writes primary_conninfo and standby.signal; -c fast does not wait for a checkpoint.
    await this.run('pg_basebackup', [
      ...['-D', dataDir, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'],
      ...['-h', '127.0.0.1', '-p', String(this.primary.port), '-U', 'postgres'],
    ]);
    // The copied postgresql.conf is the primary's; later lines win.
    fs.appendFileSync(
      path.join(dataDir, 'postgresql.conf'),
      [
        '',
        `port = ${port}`,
        'hot_standby = on',
        'hot_standby_feedback = on',
        `recovery_min_apply_delay = '${Math.round(applyDelayMs)}ms'`,
        '',
      ].join('\n'),
    );
    await this.startCluster(this.standby);
  }

  /** pg_ctl -w returns once the server accepts connections (a hot standby: once consistent). */
  private async startCluster(cluster: Cluster): Promise<void> {
    await this.run('pg_ctl', [
      ...['start', '-D', cluster.dataDir, '-l', cluster.logFile, '-w', '-t', '60'],
    ]);
  }

  /** Runs one of PostgreSQL's programs, as the postgres OS user when the test runs as root. */
  private run(program: string, args: string[]): Promise<string> {
    const binary = path.join(this.binDir, program);
    const [command, argv] = runsAsRoot()
      ? ['runuser', ['-u', 'postgres', '--', binary, ...args]]
      : [binary, args];
    return new Promise((resolve, reject) => {
      execFile(
        command,
        argv,
        { cwd: this.directory, timeout: 90_000, env: { ...process.env, LC_ALL: 'C.UTF-8' } },
        (error, stdout, stderr) =>
          error
            ? reject(new Error(`${program} ${args.join(' ')} failed: ${error.message}\n${stderr}`))
            : resolve(stdout),
      );
    });
  }

  private logs(): string {
    return [this.primary, this.standby]
      .filter((cluster) => fs.existsSync(cluster.logFile))
      .map((cluster) => `--- ${cluster.logFile}\n${fs.readFileSync(cluster.logFile, 'utf8')}`)
      .join('\n');
  }

  /** The test process is exiting without stop(): shut both servers down now, synchronously. */
  private killOnExit(): void {
    killPostmaster(this.standby);
    killPostmaster(this.primary);
    fs.rmSync(this.directory, { recursive: true, force: true });
  }
}

function runsAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** SIGQUIT to the postmaster whose pid its data directory records: an immediate shutdown. */
function killPostmaster(cluster: Cluster): void {
  try {
    const pid = Number(
      fs.readFileSync(path.join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    if (pid > 0) {
      process.kill(pid, 'SIGQUIT');
    }
  } catch {
    // Not running.
  }
}

/** The primary's current WAL position. */
export async function currentLsn(client: Client): Promise<bigint> {
  const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  return parseLsn(rows[0].lsn);
}

/** Runs `work` on a connection of its own to `url`. */
export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
