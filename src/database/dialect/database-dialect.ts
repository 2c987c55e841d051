import { EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { EntityMetadata } from 'typeorm/metadata/EntityMetadata';

export type Row = Record<string, unknown>;

/** Reads a statement's rows inside the current transaction (see TransactionRunner.runReading). */
export type StatementReader = (
  sql: string,
  parameters: unknown[],
) => AsyncIterable<Row> | Iterable<Row>;

/** The connections a database keeps, as /metrics shows them. */
export interface ConnectionGauge {
  name: string;
  help: string;
  /** The count of each state, read when /metrics is scraped. */
  counts(): Record<string, number>;
}

/**
 * Everything the service does differently on PostgreSQL and on SQLite, behind one interface: how
 * transactions take turns, how a statement's rows are read, whether a change can hand back its
 * rows, how a conflict is locked, how migrations run, what the connections look like. One
 * implementation per database (`postgres.dialect.ts`, `sqlite.dialect.ts`), chosen once per
 * DataSource by `dialectOf` (the only place that asks which database this is).
 *
 * Errors are classified in `database-errors.ts`: the two drivers' codes never collide, so one
 * table serves both, and the exception filter needs no dialect to use it.
 */
export abstract class DatabaseDialect {
  /**
   * Whether an UPDATE or DELETE inside a WITH can hand its rows to the SELECT around it in the
   * same statement (PostgreSQL). Otherwise the caller reads them with a statement of its own,
   * which is exact because transactions take turns (see `exclusive`).
   */
  abstract readonly returnsChangedRows: boolean;

  /**
   * Runs one attempt of a transaction. SQLite: every transaction shares the one connection, so
   * they are queued and never nest. PostgreSQL: at once, each on its own pooled connection.
   */
  abstract exclusive<T>(task: () => Promise<T>): Promise<T>;

  /** Reads statements inside the transaction open on `manager`, as their rows come. */
  abstract readerIn(manager: EntityManager): Promise<StatementReader>;

  /** The rows of one SELECT outside any transaction, as they come, on the primary database. */
  abstract stream(sql: string, parameters: unknown[]): AsyncIterable<Row>;

  /**
   * Holds a lock on each key until the transaction on `manager` ends, taken in the order given
   * (callers sort, so that two writers never wait on each other in a cycle). PostgreSQL: an
   * advisory lock per key. SQLite: nothing to do, transactions already take turns.
   */
  abstract lockKeys(manager: EntityManager, keys: string[]): Promise<void>;

  /** Makes a SELECT hold the rows it reads until the transaction ends (a read-compare-write). */
  abstract lockingRows<T extends ObjectLiteral>(
    builder: SelectQueryBuilder<T>,
  ): SelectQueryBuilder<T>;

  /** Applies pending migrations (see `migrate.ts`). */
  abstract runMigrations(): Promise<void>;

  /** Undoes the latest applied migration; its name, or undefined when none was applied. */
  abstract revertLastMigration(): Promise<string | undefined>;

  /** The connections, for /metrics. */
  abstract connectionGauge(): ConnectionGauge;

  /**
   * Tells TypeORM's mapping what the migrations made where the two databases differ and one
   * entity cannot say both (see MonitorDataSource).
   */
  abstract matchMigrations(entities: EntityMetadata[]): void;

  /** Closes what the dialect opened of its own (SQLite's reader connections). */
  close(): void {}
}
