import { Client, Pool } from 'pg';
import { parseLsn } from './lsn';

/**
 * up: may serve reads. lagging: replays, but further behind than allowed. down: did not answer
 * (or a read on it failed). not_replica: answers but is not in recovery (promoted, or a primary
 * given by mistake): it gets no reads, since its data may have forked from the primary's.
 */
export type ReplicaState = 'up' | 'lagging' | 'down' | 'not_replica';

export interface ReplicaPoolOptions {
  max: number;
  connectionTimeoutMillis: number;
  keepAliveInitialDelayMillis: number;
  /** The caller passes boundedClientClass(limits) (src/database/bounded-pg-client.ts). */
  Client?: typeof Client;
}

export interface ReplicaMonitorOptions {
  /** Replica URLs (each may be a PgBouncer in front of one). */
  urls: string[];
  /** DATABASE_READ_MAX_LAG: a replica further behind than this gets no reads. */
  maxLagSeconds: number;
  pollIntervalMs: number;
  /** Reads pg_current_wal_lsn() on the primary. */
  primaryLsn: () => Promise<bigint>;
  pool: ReplicaPoolOptions;
  /** For logging: called on every change of a replica's state. */
  onStateChange?: (replica: Replica, from: ReplicaState, to: ReplicaState, reason?: string) => void;
}

/** What one poll learns from a replica. */
interface ProbeResult {
  inRecovery: boolean;
  replayedLsn: bigint | null;
  /** Seconds since the last replayed transaction committed on the primary; null before any. */
  sinceLastReplayedCommit: number | null;
}

const PROBE_SQL = `SELECT pg_is_in_recovery() AS in_recovery,
  pg_last_wal_replay_lsn()::text AS replayed,
  EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 AS since_commit`;

/** One read replica: the pool reads go through, and what the monitor last learned of it. */
export class Replica {
  /** host:port/database, without credentials: for logs. */
  readonly name: string;
  /** Where reads run. */
  readonly pool: Pool;
  state: ReplicaState = 'down';
  /** The WAL position replayed at the last successful poll. */
  replayedLsn = 0n;
  /** How far behind the primary at the last poll (0 when it had replayed all of it). */
  lagSeconds = 0;
  // The monitor's bookkeeping:
  /**
   * Start time of the last poll at which it had replayed all the primary had written (or, never
   * seen caught up, of the first poll that saw it behind): lag is at most the time since then.
   */
  caughtUpAt: number | null = null;
  /** The monitor's own connection, apart from the pool, so that busy reads cannot delay polls. */
  probeClient: Client | null = null;
  /** A probe that has not ended yet: the next poll skips the replica rather than pile up. */
  probing: Promise<unknown> | null = null;

  constructor(
    readonly url: string,
    pool: ReplicaPoolOptions,
  ) {
    const parsed = new URL(url);
    this.name = `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
    this.pool = new Pool({
      connectionString: url,
      max: pool.max,
      connectionTimeoutMillis: pool.connectionTimeoutMillis,
      keepAlive: true,
      keepAliveInitialDelayMillis: pool.keepAliveInitialDelayMillis,
      Client: pool.Client,
    });
  }
}

/**
 * Watches the read replicas in the background (never per request): each poll reads the primary's
 * WAL position, then asks every replica, in parallel, whether it is in recovery, what it has
 * replayed and how old its last replayed commit is; from that it decides which replicas may
 * serve reads. A replica that does not answer within the poll bound is down until a poll succeeds.
 */
export class ReplicaMonitor {
  readonly replicas: readonly Replica[];
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private stopped = false;
  private readonly probeTimeoutMs: number;

  constructor(private readonly options: ReplicaMonitorOptions) {
    this.replicas = options.urls.map((url) => {
      const replica = new Replica(url, options.pool);
      // An idle pooled connection that breaks (the replica stopped) must not crash the process,
      // and says the replica is gone.
      replica.pool.on('error', (error) => this.markDown(replica, error));
      return replica;
    });
    this.probeTimeoutMs = Math.max(1000, options.pollIntervalMs);
  }

  /** Resolves after the first poll (bounded by the probe timeout); then polls every interval. */
  async start(): Promise<void> {
    await this.pollOnce();
    this.schedule();
  }

  /** Stops polling and ends every connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    await this.polling;
    await Promise.all(
      this.replicas.map(async (replica) => {
        this.dropProbeClient(replica);
        await replica.pool.end().catch(() => undefined);
      }),
    );
  }

  /** Replicas that may serve a read needing `lsn` now: state 'up' and replayedLsn >= lsn. */
  usable(lsn: bigint): Replica[] {
    return this.replicas.filter((replica) => replica.state === 'up' && replica.replayedLsn >= lsn);
  }

  /** A read on this replica failed at the connection level: no reads until the next successful poll. */
  markDown(replica: Replica, error: unknown): void {
    this.setState(replica, 'down', describe(error));
  }

  /** One poll of every replica; never rejects. Exposed for tests that need a poll now. */
  pollOnce(): Promise<void> {
    this.polling ??= this.poll().finally(() => (this.polling = null));
    return this.polling;
  }

  private schedule(): void {
    if (this.stopped) {
      return;
    }
    // The next poll is timed from the end of this one, so polls never overlap.
    this.timer = setTimeout(() => {
      void this.pollOnce().then(() => this.schedule());
    }, this.options.pollIntervalMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const startedAt = Date.now();
    let primaryLsn: bigint | null;
    try {
      primaryLsn = await withTimeout(this.options.primaryLsn(), this.probeTimeoutMs);
    } catch {
      // Without the primary's position, lag cannot be told: states stay as they were (see update).
      primaryLsn = null;
    }
    await Promise.all(
      this.replicas.map(async (replica) => {
        if (replica.probing) {
          // The previous probe has not ended, so it has already been marked down.
          return;
        }
        try {
          const result = await this.probe(replica);
          this.update(replica, result, primaryLsn, startedAt);
        } catch (error) {
          this.dropProbeClient(replica);
          this.setState(replica, 'down', describe(error));
        }
      }),
    );
  }

  /** Asks the replica where it is, within the probe timeout. */
  private probe(replica: Replica): Promise<ProbeResult> {
    const query = async (): Promise<ProbeResult> => {
      replica.probeClient ??= await this.connectProbe(replica);
      const { rows } = await replica.probeClient.query<{
        in_recovery: boolean;
        replayed: string | null;
        since_commit: number | null;
      }>(PROBE_SQL);
      const row = rows[0];
      return {
        inRecovery: row.in_recovery,
        replayedLsn: row.replayed === null ? null : parseLsn(row.replayed),
        sinceLastReplayedCommit: row.since_commit,
      };
    };
    const probing = query();
    replica.probing = probing.catch(() => undefined).finally(() => (replica.probing = null));
    return withTimeout(probing, this.probeTimeoutMs);
  }

  private async connectProbe(replica: Replica): Promise<Client> {
    const { pool } = this.options;
    const ClientClass = pool.Client ?? Client;
    const client = new ClientClass({
      connectionString: replica.url,
      // 0 is node-postgres's "no bound".
      connectionTimeoutMillis:
        pool.connectionTimeoutMillis > 0
          ? Math.min(pool.connectionTimeoutMillis, this.probeTimeoutMs)
          : this.probeTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: pool.keepAliveInitialDelayMillis,
    });
    // A broken connection is noticed by the next probe's query; the event itself is only absorbed.
    client.on('error', () => undefined);
    try {
      await client.connect();
      if (this.stopped) {
        throw new Error('the replica monitor has stopped');
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  }

  /** node-postgres destroys the socket of a client with a query in flight: a hung probe fails now. */
  private dropProbeClient(replica: Replica): void {
    const client = replica.probeClient;
    replica.probeClient = null;
    void client?.end().catch(() => undefined);
  }

  private update(
    replica: Replica,
    result: ProbeResult,
    primaryLsn: bigint | null,
    startedAt: number,
  ): void {
    if (!result.inRecovery || result.replayedLsn === null) {
      this.setState(replica, 'not_replica', 'the server is not in recovery: it is not a replica');
      return;
    }
    replica.replayedLsn = result.replayedLsn;
    if (primaryLsn === null) {
      // The state stays as it was: a replica already up keeps serving reads (each checked against
      // replayedLsn, which is fresh), but none comes (back) up while lag cannot be told.
      return;
    }
    if (result.replayedLsn >= primaryLsn) {
      replica.caughtUpAt = startedAt;
      replica.lagSeconds = 0;
    } else {
      // Two upper bounds on the age of the oldest WAL not replayed yet: it was written after the
      // last replayed commit, and after the last poll that found the replica caught up. The
      // second keeps a replica that is a moment behind an idle primary from counting as lagging.
      const sinceCaughtUp =
        replica.caughtUpAt === null ? null : (Date.now() - replica.caughtUpAt) / 1000;
      const bounds = [result.sinceLastReplayedCommit, sinceCaughtUp].filter(
        (bound): bound is number => bound !== null,
      );
      if (bounds.length > 0) {
        replica.lagSeconds = Math.min(...bounds);
      } else {
        // Never caught up and no commit replayed yet: behind since this monitor first saw it.
        replica.caughtUpAt = startedAt;
        replica.lagSeconds = 0;
      }
    }
    const lagging = replica.lagSeconds > this.options.maxLagSeconds;
    this.setState(
      replica,
      lagging ? 'lagging' : 'up',
      lagging ? `${replica.lagSeconds.toFixed(1)} s behind the primary` : undefined,
    );
  }

  private setState(replica: Replica, to: ReplicaState, reason?: string): void {
    const from = replica.state;
    if (from === to) {
      return;
    }
    replica.state = to;
    try {
      this.options.onStateChange?.(replica, from, to, reason);
    } catch {
      // A logger that throws must not stop the monitor.
    }
  }
}

/** `work`, or a rejection once `ms` have passed (`work` itself goes on; its outcome is dropped). */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
