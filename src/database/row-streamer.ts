import { Injectable, OnModuleDestroy, Optional } from '@nestjs/common';
import { DataSource, EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { Row, StatementReader } from './dialect/database-dialect';
import { dialectOf } from './dialect/dialect-of';
import { ReplicaReads } from './replicas/replica-reads';

export type { Row } from './dialect/database-dialect';

/**
 * The read path of every route that only reads, and of a transaction that reads what it changes.
 * Reads the rows of one SELECT as they come, so that a response of any size never sits whole in
 * memory, in one statement whatever the row count (see each dialect's `stream`). With read
 * replicas (DATABASE_READ_URLS), the reads outside a transaction go where the caller may read
 * (ReplicaReads); without, to the one database.
 */
@Injectable()
export class RowStreamer implements OnModuleDestroy {
  constructor(
    private readonly dataSource: DataSource,
    @Optional() private readonly replicas?: ReplicaReads,
  ) {}

  stream(sql: string, parameters: unknown[]): AsyncIterable<Row> {
    return this.replicas
      ? this.replicas.stream(sql, parameters)
      : dialectOf(this.dataSource).stream(sql, parameters);
  }

  /** All the rows of one small SELECT (a page, a detail), from where `stream` would read them. */
  async all<T extends object = Row>(sql: string, parameters: unknown[]): Promise<T[]> {
    if (!this.replicas) {
      return this.dataSource.query<T[]>(sql, parameters);
    }
    const rows: T[] = [];
    for await (const row of this.replicas.stream(sql, parameters)) {
      rows.push(row as T);
    }
    return rows;
  }

  /**
   * Reads statements inside the transaction open on `manager`, as their rows come: exactly what
   * that transaction sees (see TransactionRunner.runReading).
   */
  readerIn(manager: EntityManager): Promise<StatementReader> {
    return dialectOf(this.dataSource).readerIn(manager);
  }

  onModuleDestroy(): void {
    dialectOf(this.dataSource).close();
  }
}

/** The number of rows a query builder selects, read where RowStreamer reads. */
export async function countRows<T extends ObjectLiteral>(
  rows: RowStreamer,
  builder: SelectQueryBuilder<T>,
): Promise<number> {
  const [row] = await rows.all<{ count: string | number }>(
    ...builder.select('COUNT(*)', 'count').getQueryAndParameters(),
  );
  return Number(row?.count ?? 0);
}
