import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, EntityManager } from 'typeorm';
import { isTransientConflict } from './database-errors';

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

  constructor(private readonly dataSource: DataSource) {}

  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.exclusive(() => this.dataSource.transaction(work));
      } catch (error) {
        if (!isTransientConflict(error) || attempt >= MAX_ATTEMPTS) {
          throw error;
        }
        await sleep(attempt * 10 + Math.floor(Math.random() * 20));
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
