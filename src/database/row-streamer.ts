import { Injectable, OnModuleDestroy } from '@nestjs/common';
import Database from 'better-sqlite3';
import { PoolClient } from 'pg';
import { EndingQueryStream } from './ending-query-stream';
import { DataSource } from 'typeorm';

export type Row = Record<string, unknown>;

const POSTGRES_BATCH_ROWS = 1000;
const MAX_IDLE_SQLITE_READERS = 4;
const MAX_CACHED_STATEMENTS = 64;

/** The statements prepared on one SQLite connection, by SQL text, a bounded number of them. */
class PreparedStatements {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly database: Database.Database) {}

  get(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= MAX_CACHED_STATEMENTS) {
        this.statements.clear();
      }
      statement = this.database.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/** A read-only connection to the SQLite file, with the statements prepared on it. */
class SqliteReader {
  private readonly prepared: PreparedStatements;

  constructor(file: string) {
    this.prepared = new PreparedStatements(
      new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 }),
    );
  }

  statement(sql: string): Database.Statement {
    return this.prepared.get(sql);
  }

  close(): void {
    this.prepared.database.close();
  }
}

/**
 * Reads the rows of one SELECT as they come, so that a response of any size never sits whole in
 * memory. One statement whatever the row count:
 * - PostgreSQL: a server-side cursor on a pooled connection;
 * - SQLite file: a read-only connection of its own (WAL mode), so that the writer and other
 *   requests go on while a slow client reads;
 * - SQLite in memory: there is no second connection to such a database, so the rows are read at
 *   once on the main one (a throwaway database is small).
 */
@Injectable()
export class RowStreamer implements OnModuleDestroy {
  private readonly idleReaders: SqliteReader[] = [];
  /** Statements prepared on the write connection (a rename's read-back, the same text each time). */
  private writerStatements: PreparedStatements | undefined;
  private busyReaders = 0;
  private closed = false;

  constructor(private readonly dataSource: DataSource) {}

  stream(sql: string, parameters: unknown[]): AsyncIterable<Row> {
    if (this.dataSource.options.type === 'postgres') {
      return this.streamPostgres(sql, parameters);
    }
    const file = this.dataSource.options.database as string;
    if (file === ':memory:') {
      return this.readSqliteMemory(sql, parameters);
    }
    return this.streamSqliteFile(file, sql, parameters);
  }

  /**
   * PostgreSQL: the rows of one statement on `client` (inside its open transaction), read in
   * batches as they come.
   */
  async *streamOn(client: PoolClient, sql: string, parameters: unknown[]): AsyncIterable<Row> {
    this.dataSource.logger.logQuery(sql, parameters);
    const stream = client.query(
      new EndingQueryStream(sql, parameters, { batchSize: POSTGRES_BATCH_ROWS }),
    );
    try {
      for await (const row of stream) {
        yield row as Row;
      }
    } finally {
      stream.destroy();
    }
  }

  /**
   * SQLite: the rows of one statement on the main (write) connection, inside the transaction open
   * on it, iterated synchronously.
   */
  *iterateOnWriter(sql: string, parameters: unknown[]): Iterable<Row> {
    this.dataSource.logger.logQuery(sql, parameters);
    const database = (
      this.dataSource.driver as unknown as { databaseConnection: Database.Database }
    ).databaseConnection;
    if (this.writerStatements?.database !== database) {
      this.writerStatements = new PreparedStatements(database);
    }
    yield* this.writerStatements.get(sql).iterate(...parameters) as IterableIterator<Row>;
  }

  private async *streamPostgres(sql: string, parameters: unknown[]): AsyncIterable<Row> {
    const runner = this.dataSource.createQueryRunner('slave');
    this.dataSource.logger.logQuery(sql, parameters, runner);
    try {
      const client = (await runner.connect()) as PoolClient;
      const stream = client.query(
        new EndingQueryStream(sql, parameters, { batchSize: POSTGRES_BATCH_ROWS }),
      );
      try {
        for await (const row of stream) {
          yield row as Row;
        }
      } finally {
        stream.destroy();
      }
    } finally {
      await runner.release();
    }
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- better-sqlite3 reads synchronously; the generator is async so that callers await between rows.
  private async *streamSqliteFile(
    file: string,
    sql: string,
    parameters: unknown[],
  ): AsyncIterable<Row> {
    this.dataSource.logger.logQuery(sql, parameters);
    const reader = this.takeReader(file);
    // Healthy unless the read failed: a caller that stops early (one message by id) leaves a
    // reader that can be kept with its prepared statements.
    let healthy = true;
    try {
      const rows = reader.statement(sql).iterate(...parameters) as IterableIterator<Row>;
      try {
        for (const row of rows) {
          yield row;
        }
      } finally {
        rows.return?.();
      }
    } catch (error) {
      healthy = false;
      throw error;
    } finally {
      this.giveBackReader(reader, healthy);
    }
  }

  /**
   * An idle read-only connection, or a new one. Opening one (and preparing on it, which reads the
   * schema) costs more than a small query, so a few are kept with their prepared statements.
   * A connection not in use holds no read transaction: each query takes a fresh snapshot.
   */
  private takeReader(file: string): SqliteReader {
    const reader = this.idleReaders.pop() ?? new SqliteReader(file);
    this.busyReaders += 1;
    return reader;
  }

  private giveBackReader(reader: SqliteReader, healthy: boolean): void {
    this.busyReaders -= 1;
    if (healthy && this.idleReaders.length < MAX_IDLE_SQLITE_READERS && !this.closed) {
      this.idleReaders.push(reader);
    } else {
      reader.close();
    }
  }

  /** SQLite file: the read-only connections streaming now and those kept idle (for /metrics). */
  get sqliteReaders(): { busy: number; idle: number } {
    return { busy: this.busyReaders, idle: this.idleReaders.length };
  }

  onModuleDestroy(): void {
    this.closed = true;
    for (const reader of this.idleReaders.splice(0)) {
      reader.close();
    }
  }

  private async *readSqliteMemory(sql: string, parameters: unknown[]): AsyncIterable<Row> {
    const rows = await this.dataSource.query<Row[]>(sql, parameters);
    yield* rows;
  }
}
