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

  /**
   * @param logsStatements whether statements are logged (at verbose, LOG_LEVEL=trace): when they
   * would be dropped, they are not handed to the logger at all, which costs every statement.
   */
  constructor(private readonly logsStatements = true) {}

  /** Calls the listener with every statement until the returned function is called. */
  subscribe(listener: QueryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  logQuery(query: string): void {
    for (const listener of this.listeners) {
      listener(query);
    }
    if (this.logsStatements) {
      this.logger.verbose(query);
    }
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
