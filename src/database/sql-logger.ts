import { Logger as NestLogger } from '@nestjs/common';
import { Logger as TypeOrmLogger } from 'typeorm';

export type QueryListener = (sql: string) => void;

/**
 * TypeORM's logger, routed to Nest's. Every SQL statement the service sends passes through
 * logQuery, including the ones the row streamer issues itself, so listeners (the statement-count
 * tests) see all of them.
 */
export class SqlLogger implements TypeOrmLogger {
  private readonly logger = new NestLogger('SQL');
  private readonly listeners = new Set<QueryListener>();

  /** Calls the listener with every statement until the returned function is called. */
  subscribe(listener: QueryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  logQuery(query: string): void {
    for (const listener of this.listeners) {
      listener(query);
    }
    this.logger.verbose(query);
  }

  logQueryError(error: string | Error, query: string): void {
    this.logger.debug(`${query} failed: ${error instanceof Error ? error.message : error}`);
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn(`slow query (${time} ms): ${query}`);
  }

  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') {
      this.logger.warn(String(message));
    } else {
      this.logger.debug(String(message));
    }
  }
}
