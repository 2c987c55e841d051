import { PoolClient } from 'pg';
import { DataSource, EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { EntityMetadata } from 'typeorm/metadata/EntityMetadata';
import { isByteOrdered } from '../byte-ordered.decorator';
import { EndingQueryStream } from '../ending-query-stream';
import { latestMigration } from './latest-migration';
import { inMigrationTransaction } from './postgres-migrations';
import { ConnectionGauge, DatabaseDialect, Row, StatementReader } from './database-dialect';

const BATCH_ROWS = 1000;

/** What node-postgres's pool counts, read for /metrics. */
interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** PostgreSQL, directly or through PgBouncer in transaction mode (see DatabaseDialect). */
export class PostgresDialect extends DatabaseDialect {
  readonly returnsChangedRows = true;

  constructor(private readonly dataSource: DataSource) {
    super();
  }

  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return task();
  }

  async readerIn(manager: EntityManager): Promise<StatementReader> {
    const client = (await manager.queryRunner!.connect()) as PoolClient;
    // The rows of one statement inside the open transaction, in batches.
    return (sql, parameters) => {
      this.dataSource.logger.logQuery(sql, parameters);
      return readCursor({ connect: () => client }, sql, parameters);
    };
  }

  /** A server-side cursor on a pooled connection, read in batches. */
  stream(sql: string, parameters: unknown[]): AsyncIterable<Row> {
    const runner = this.dataSource.createQueryRunner('master');
    this.dataSource.logger.logQuery(sql, parameters, runner);
    return readCursor(
      {
        connect: async () => (await runner.connect()) as PoolClient,
        end: () => runner.release(),
      },
      sql,
      parameters,
    );
  }

  async lockKeys(manager: EntityManager, keys: string[]): Promise<void> {
    if (keys.length === 1) {
      await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', keys);
    } else if (keys.length > 1) {
      // One round trip for all of them, in the order given.
      await manager.query(
        'SELECT pg_advisory_xact_lock(hashtextextended("key", 0)) ' +
          'FROM unnest($1::text[]) WITH ORDINALITY AS "k" ("key", "n") ORDER BY "n"',
        [keys],
      );
    }
  }

  lockingRows<T extends ObjectLiteral>(builder: SelectQueryBuilder<T>): SelectQueryBuilder<T> {
    return builder.setLock('pessimistic_write');
  }

  /**
   * Every pending migration in one transaction behind an advisory lock, so that replicas starting
   * together take turns and exactly one migrates (see `inMigrationTransaction`).
   */
  async runMigrations(): Promise<void> {
    await inMigrationTransaction(this.dataSource, (executor) =>
      executor.executePendingMigrations(),
    );
  }

  revertLastMigration(): Promise<string | undefined> {
    return inMigrationTransaction(this.dataSource, async (executor) => {
      const name = await latestMigration(executor);
      await executor.undoLastMigration();
      return name;
    });
  }

  connectionGauge(): ConnectionGauge {
    const dataSource = this.dataSource;
    return {
      name: 'db_pool_connections',
      help: 'PostgreSQL pool connections: all open ones, the idle ones, and requests waiting for one.',
      counts() {
        const pool = (dataSource.driver as unknown as { master?: PoolCounts }).master;
        return {
          total: pool?.totalCount ?? 0,
          idle: pool?.idleCount ?? 0,
          waiting: pool?.waitingCount ?? 0,
        };
      },
    };
  }

  matchMigrations(entities: EntityMetadata[]): void {
    for (const entity of entities) {
      for (const column of entity.columns) {
        if (isByteOrdered(column.target, column.propertyName)) {
          // Byte-wise order, as SQLite compares text.
          column.collation = 'C';
        }
      }
      for (const foreignKey of entity.foreignKeys) {
        // The migrations declare foreign keys inline, which PostgreSQL names table_column_fkey.
        foreignKey.name = `${entity.tableName}_${foreignKey.columnNames.join('_')}_fkey`;
      }
    }
  }
}

/** Where a cursor reads, and what its reader does around it (see readCursor). */
export interface CursorConnection {
  /** The connection to read on, taken when the first row is asked for. */
  connect(): PoolClient | Promise<PoolClient>;
  /** Once the first row has come. */
  started?(): void;
  /** When the read is over, whether it failed (connecting included) or not. */
  end?(failed: boolean): unknown;
}

/**
 * The rows of one statement, through a cursor that ends on a dead connection too. What a caller
 * does around the read goes in `on` rather than in an async generator of its own around this one:
 * every row passes through each such layer with promises of its own, and the extra garbage while
 * a batch of rows is held gets it promoted out of V8's young generation (a rename of 1,000,000
 * messages peaked 50 MiB higher with one more layer; bench/README, "Memory").
 */
export async function* readCursor(
  on: CursorConnection,
  sql: string,
  parameters: unknown[],
): AsyncIterable<Row> {
  let failed = false;
  let started = false;
  let stream: EndingQueryStream | undefined;
  try {
    const client = await on.connect();
    stream = client.query(new EndingQueryStream(sql, parameters, { batchSize: BATCH_ROWS }));
    for await (const row of stream) {
      if (!started) {
        started = true;
        on.started?.();
      }
      yield row as Row;
    }
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    stream?.destroy();
    await on.end?.(failed);
  }
}
