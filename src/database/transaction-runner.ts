import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { PoolClient } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { isTransientConflict } from './database-errors';
import { resumeAfterFirst, Row, RowStreamer } from './row-streamer';

/** TypeORM's PostgreSQL query runner, as far as releasing its client goes. */
interface PooledRunner {
  releasePostgresConnection(error?: Error): Promise<void>;
}

/** A SELECT to read back once a transaction has committed: SQL and its parameters. */
export type ReadBack = [sql: string, parameters: unknown[]];

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
   * Runs work in one transaction (retried as `run` does), then reads back the rows of the SELECT
   * that `readBack` gives for its result exactly as they were at the commit: no transaction that
   * commits afterwards can change them. The rows are streamed, never held whole, and the
   * statement count does not depend on their number.
   * - PostgreSQL: the SELECT is declared as a cursor WITH HOLD inside the transaction, and fetched
   *   after the commit on the same connection, so that no row lock is held while a client reads.
   * - SQLite: the read-only reader takes its snapshot before the next queued transaction starts.
   */
  async runThenRead<T>(
    work: (manager: EntityManager) => Promise<T>,
    readBack: (result: T) => ReadBack | undefined,
  ): Promise<{ result: T; rows?: AsyncIterable<Row> | Iterable<Row> }> {
    if (this.dataSource.options.type !== 'postgres') {
      return this.exclusive(async () => {
        const result = await this.retrying(() => this.dataSource.transaction(work));
        const select = readBack(result);
        return { result, rows: select ? await this.rows.startSqlite(...select) : undefined };
      });
    }
    return this.retrying(async () => {
      const runner = this.dataSource.createQueryRunner('master');
      const cursor = `read_back_${randomBytes(8).toString('hex')}`;
      let held = false;
      try {
        const client = (await runner.connect()) as PoolClient;
        await runner.startTransaction();
        try {
          const result = await work(runner.manager);
          const select = readBack(result);
          if (select) {
            await runner.query(
              `DECLARE "${cursor}" NO SCROLL CURSOR WITH HOLD FOR ${select[0]}`,
              select[1],
            );
          }
          await runner.commitTransaction();
          if (!select) {
            return { result };
          }
          held = true;
          return {
            result,
            rows: this.rows.streamHeldCursor(client, cursor, (broken) => {
              // TypeORM's release() cannot say "broken"; the method it calls can (typeorm is
              // pinned to 0.3.x): a broken client leaves the pool instead of being reused.
              void (runner as unknown as PooledRunner).releasePostgresConnection(broken);
            }),
          };
        } catch (error) {
          if (runner.isTransactionActive) {
            await runner.rollbackTransaction();
          }
          throw error;
        }
      } finally {
        if (!held) {
          await runner.release();
        }
      }
    });
  }

  /**
   * PostgreSQL: one statement that changes rows and returns them (a data-modifying WITH), its rows
   * streamed; undefined when it returned none. Its implicit transaction commits once they are
   * read, so they are exactly what it changed. A lost race (a deadlock) surfaces before the first
   * row, because the change runs whole before any row comes out, and is retried then, while
   * nothing has been answered yet.
   */
  async streamChange(sql: string, parameters: unknown[]): Promise<AsyncIterable<Row> | undefined> {
    return this.retrying(async () => {
      const iterator = this.rows.stream(sql, parameters)[Symbol.asyncIterator]();
      let first: IteratorResult<Row>;
      try {
        first = await iterator.next();
      } catch (error) {
        await iterator.return?.(undefined);
        throw error;
      }
      if (first.done) {
        await iterator.return?.(undefined);
        return undefined;
      }
      return resumeAfterFirst(first, iterator);
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
