import Database from 'better-sqlite3';
import { DataSource, MigrationExecutor, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { EntityMetadata } from 'typeorm/metadata/EntityMetadata';
import { latestMigration } from './latest-migration';
import { ConnectionGauge, DatabaseDialect, Row, StatementReader } from './database-dialect';

const MAX_IDLE_READERS = 4;
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
 * SQLite through better-sqlite3 (see DatabaseDialect): one write connection that every
 * transaction takes in turn, and read-only connections of their own (WAL mode) that stream
 * answers while the writer goes on.
 */
export class SqliteDialect extends DatabaseDialect {
  readonly returnsChangedRows = false;

  private queue: Promise<unknown> = Promise.resolve();
  private readonly idleReaders: SqliteReader[] = [];
  /** Statements prepared on the write connection (a rename's read-back, the same text each time). */
  private writerStatements: PreparedStatements | undefined;
  private busyReaders = 0;
  private closed = false;

  constructor(private readonly dataSource: DataSource) {
    super();
  }

  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * The statement iterated on the one write connection, synchronously, inside the transaction
   * open on it: nothing else may use that connection while a statement on it is open.
   */
  readerIn(): Promise<StatementReader> {
    return Promise.resolve((sql, parameters) => this.iterateOnWriter(sql, parameters));
  }

  /**
   * A file: a read-only connection of its own, so that the writer and other requests go on while
   * a slow client reads. In memory there is no second connection to such a database, so the rows
   * are read at once on the main one (a throwaway database is small).
   */
  stream(sql: string, parameters: unknown[]): AsyncIterable<Row> {
    const file = this.dataSource.options.database as string;
    if (file === ':memory:') {
      return this.readMemory(sql, parameters);
    }
    return this.streamFile(file, sql, parameters);
  }

  lockKeys(): Promise<void> {
    // Transactions take turns (see `exclusive`): nothing else can hold what these keys name.
    return Promise.resolve();
  }

  lockingRows<T extends ObjectLiteral>(builder: SelectQueryBuilder<T>): SelectQueryBuilder<T> {
    // Transactions take turns: the rows read stay as read until this one ends.
    return builder;
  }

  async runMigrations(): Promise<void> {
    await this.dataSource.runMigrations({ transaction: 'each' });
  }

  async revertLastMigration(): Promise<string | undefined> {
    const name = await latestMigration(new MigrationExecutor(this.dataSource));
    await this.dataSource.undoLastMigration({ transaction: 'each' });
    return name;
  }

  connectionGauge(): ConnectionGauge {
    return {
      name: 'sqlite_reader_connections',
      help: 'Read-only SQLite connections that stream answers: busy now, or kept idle.',
      counts: () => ({ busy: this.busyReaders, idle: this.idleReaders.length }),
    };
  }

  matchMigrations(entities: EntityMetadata[]): void {
    for (const entity of entities) {
      for (const column of entity.columns) {
        if (column.type === 'uuid') {
          // SQLite has no uuid type: the migrations keep them as varchar(36).
          column.length = '36';
        }
      }
      for (const foreignKey of entity.foreignKeys) {
        // The migrations declare foreign keys inline, which SQLite does not name.
        foreignKey.name = undefined as unknown as string;
      }
    }
  }

  override close(): void {
    this.closed = true;
    for (const reader of this.idleReaders.splice(0)) {
      reader.close();
    }
  }

  private *iterateOnWriter(sql: string, parameters: unknown[]): Iterable<Row> {
    this.dataSource.logger.logQuery(sql, parameters);
    const database = (
      this.dataSource.driver as unknown as { databaseConnection: Database.Database }
    ).databaseConnection;
    if (this.writerStatements?.database !== database) {
      this.writerStatements = new PreparedStatements(database);
    }
    yield* this.writerStatements.get(sql).iterate(...parameters) as IterableIterator<Row>;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- better-sqlite3 reads synchronously; the generator is async so that callers await between rows.
  private async *streamFile(file: string, sql: string, parameters: unknown[]): AsyncIterable<Row> {
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
    if (healthy && this.idleReaders.length < MAX_IDLE_READERS && !this.closed) {
      this.idleReaders.push(reader);
    } else {
      reader.close();
    }
  }

  private async *readMemory(sql: string, parameters: unknown[]): AsyncIterable<Row> {
    const rows = await this.dataSource.query<Row[]>(sql, parameters);
    yield* rows;
  }
}
