import { Injectable, Optional } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, EntityManager } from 'typeorm';
import { isTransientConflict } from './database-errors';
import { StatementReader } from './dialect/database-dialect';
import { dialectOf } from './dialect/dialect-of';
import { WritePositions } from './replicas/write-positions';
import { RowStreamer } from './row-streamer';

export type { StatementReader } from './dialect/database-dialect';

const MAX_ATTEMPTS = 5;

/**
 * Runs work in one database transaction. A transaction that loses a race (a PostgreSQL deadlock
 * or serialization failure) is retried from the start a few times, so callers see either the
 * whole effect or an error, never a half. Transactions take turns where the database needs them
 * to (SQLite's one connection: see the dialect's `exclusive`).
 */
@Injectable()
export class TransactionRunner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly rows: RowStreamer,
    @Optional() private readonly writePositions?: WritePositions,
  ) {}

  /**
   * With read replicas, a committed transaction's position is remembered for the request's key
   * before the caller goes on, so that its next reads see it (see WritePositions).
   */
  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const dialect = dialectOf(this.dataSource);
    const result = await this.retrying(() =>
      dialect.exclusive(() => this.dataSource.transaction(work)),
    );
    await this.writePositions?.afterCommit();
    return result;
  }

  /**
   * Runs work in one transaction (retried as `run` does) that may also read the rows of a SELECT
   * (or of a data-modifying WITH) inside that transaction, on its own connection, as they come:
   * what the work reads is exactly what the transaction sees, whatever other transactions or
   * processes do. The rows come at the database's pace, so the work must not wait on a client
   * while it reads them.
   */
  async runReading<T>(
    work: (manager: EntityManager, read: StatementReader) => Promise<T>,
  ): Promise<T> {
    return this.run(async (manager) => work(manager, await this.rows.readerIn(manager)));
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
}
