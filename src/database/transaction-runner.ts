import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { PoolClient } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { isTransientConflict } from './database-errors';
import { Row, RowStreamer } from './row-streamer';

/** Reads a statement's rows inside the current transaction (see TransactionRunner.runReading). */
export type StatementReader = (
  sql: string,
  parameters: unknown[],
) => AsyncIterable<Row> | Iterable<Row>;

const MAX_ATTEMPTS = 5;

/**
 * Runs work in one database transaction. A transaction that loses a race (a PostgreSQL deadlock
 * or serialization failure) is retried from the start a few times, so callers see either the
 * whole effect or an error, never a half. On SQLite every transaction shares the one connection,
 * so they are queued here instead of nesting.
 */
@Injectable()
export class TransactionRunner {
  private sqliteQueue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    private readonly rows: RowStreamer,
  ) {}

  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.retrying(() => this.exclusive(() => this.dataSource.transaction(work)));
  }

  /**
   * Runs work in one transaction (retried as `run` does) that may also read the rows of a SELECT
   * (or of a data-modifying WITH) inside that transaction, on its own connection, as they come:
   * what the work reads is exactly what the transaction sees, whatever other transactions or
   * processes do. The rows come at the database's pace, so the work must not wait on a client
   * while it reads them.
   * - PostgreSQL: a portal on the transaction's connection, read in batches.
   * - SQLite: the statement iterated on the one write connection, synchronously: nothing else may
   *   use that connection while a statement on it is open.
   */
  async runReading<T>(
    work: (manager: EntityManager, read: StatementReader) => Promise<T>,
  ): Promise<T> {
    return this.run(async (manager) => {
      if (this.dataSource.options.type === 'postgres') {
        const client = (await manager.queryRunner!.connect()) as PoolClient;
        return work(manager, (sql, parameters) => this.rows.streamOn(client, sql, parameters));
      }
      return work(manager, (sql, parameters) => this.rows.iterateOnWriter(sql, parameters));
    });
  }

  /** Retries a whole transaction that lost a race, a few times, with a short random pause. */
  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    for (let count = 1; ; count += 1) {
      try {
        return await attempt();
      } catch (error) {
        if (!isTransientConflict(error) || count >= MAX_ATTEMPTS) {
          throw error;
        }
        await sleep(count * 10 + Math.floor(Math.random() * 20));
      }
    }
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    if (this.dataSource.options.type === 'postgres') {
      return task();
    }
    const result = this.sqliteQueue.then(task, task);
    this.sqliteQueue = result.catch(() => undefined);
    return result;
  }
}
