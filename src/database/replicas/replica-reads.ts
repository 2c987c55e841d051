import { Logger } from '@nestjs/common';
import { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from '../database-errors';
import { DatabaseDialect, Row } from '../dialect/database-dialect';
import { readCursor } from '../dialect/postgres.dialect';
import { Replica, ReplicaMonitor } from './replica-monitor';
import { currentCaller, RequestCaller } from './request-caller';
import { WritePositions } from './write-positions';

/** Where reads went, for /metrics. */
export interface ReadCounters {
  read(target: string): void;
  fallback(replica: string): void;
}

/**
 * The read routes' reads, with DATABASE_READ_URLS: each request reads from a replica that has
 * replayed its key's last write (WritePositions), chosen in turn among those that are up and
 * within the maximum lag (ReplicaMonitor), else from the primary. A request keeps the server of
 * its first read for the others. A replica that fails before sending a row costs the request
 * nothing: the primary answers instead (and a replica that cannot be reached gets no reads until
 * it is seen up again).
 */
export class ReplicaReads {
  private readonly logger = new Logger('ReadReplicas');
  private turn = 0;
  /** Reads on each replica that have not had a row yet, and how to give each of them up. */
  private readonly waiting = new Map<Replica, Set<() => void>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly primary: DatabaseDialect,
    private readonly monitor: ReplicaMonitor,
    private readonly positions: WritePositions,
    private readonly counters: ReadCounters,
  ) {}

  /** The rows of one SELECT, as they come, from where the caller may read. */
  stream(sql: string, parameters: unknown[]): AsyncIterable<Row> {
    // Taken now: the rows may be pulled later, outside the request's context (a streamed answer).
    return this.streamFor(currentCaller(), sql, parameters);
  }

  private async *streamFor(
    caller: RequestCaller | undefined,
    sql: string,
    parameters: unknown[],
  ): AsyncIterable<Row> {
    const target = await this.targetFor(caller);
    if (target !== 'primary') {
      let sent = false;
      try {
        for await (const row of this.streamFrom(target, sql, parameters)) {
          sent = true;
          yield row;
        }
        return;
      } catch (error) {
        if (sent) {
          throw error;
        }
        this.fallBack(caller, target, error);
      }
    }
    this.counters.read('primary');
    yield* this.primary.stream(sql, parameters);
  }

  private async targetFor(caller: RequestCaller | undefined): Promise<Replica | 'primary'> {
    if (caller?.readTarget !== undefined) {
      return caller.readTarget;
    }
    const needed = await this.positions.required(caller?.apiKeyId);
    const usable = this.monitor.usable(needed);
    const target = usable.length > 0 ? usable[this.turn++ % usable.length] : 'primary';
    if (caller) {
      caller.readTarget = target;
    }
    return target;
  }

  private streamFrom(replica: Replica, sql: string, parameters: unknown[]): AsyncIterable<Row> {
    this.dataSource.logger.logQuery(sql, parameters);
    let client: PoolClient | undefined;
    let broken = false;
    // The server may end the connection while no statement is on it (the rows already read, the
    // caller still sending them): the error must not go unheard, and the connection is not reused.
    const onError = () => {
      broken = true;
    };
    // Until its first row, the read is given up if the replica is seen to leave (see `abandon`).
    const giveUp = () => void client?.end().catch(() => undefined);
    const waiting = this.waiting.get(replica) ?? new Set<() => void>();
    return readCursor(
      {
        connect: async () => {
          client = await replica.pool.connect();
          client.on('error', onError);
          this.waiting.set(replica, waiting.add(giveUp));
          this.counters.read(replica.name);
          return client;
        },
        started: () => waiting.delete(giveUp),
        end: (failed) => {
          waiting.delete(giveUp);
          client?.off('error', onError);
          // A connection that failed is not given to the next read.
          client?.release(failed || broken);
        },
      },
      sql,
      parameters,
    );
  }

  /**
   * The replica has left (down, lagging or promoted): the reads on it still waiting for their
   * first row end now and go to the primary, instead of waiting for an answer that may take
   * minutes (a PgBouncer in front of a stopped server holds a query for its query_wait_timeout).
   */
  abandon(replica: Replica): void {
    const waiting = this.waiting.get(replica);
    for (const giveUp of waiting ?? []) {
      giveUp();
    }
    waiting?.clear();
  }

  private fallBack(caller: RequestCaller | undefined, replica: Replica, error: unknown): void {
    if (isDatabaseUnavailable(error) || isConnectionError(error)) {
      this.monitor.markDown(replica, error);
    }
    if (caller) {
      caller.readTarget = 'primary';
    }
    this.counters.fallback(replica.name);
    this.logger.warn(
      `A read on replica ${replica.name} failed before any row (${(error as Error).message}); ` +
        'the primary answered it.',
    );
  }
}

/** A socket-level failure (refused, reset, unreachable) rather than an answer of the server. */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(E[A-Z]+|57P0[1-3]|08\d{3})$/.test(code);
}
