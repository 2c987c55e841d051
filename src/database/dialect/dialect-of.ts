import { DataSource } from 'typeorm';
import { DatabaseDialect } from './database-dialect';
import { PostgresDialect } from './postgres.dialect';
import { SqliteDialect } from './sqlite.dialect';

const dialects = new WeakMap<DataSource, DatabaseDialect>();

/**
 * The dialect of a DataSource: the one place in the service that asks which database it is on.
 * One per DataSource, so that everything using it shares SQLite's queue and reader connections.
 */
export function dialectOf(dataSource: DataSource): DatabaseDialect {
  let dialect = dialects.get(dataSource);
  if (!dialect) {
    dialect =
      dataSource.options.type === 'postgres'
        ? new PostgresDialect(dataSource)
        : new SqliteDialect(dataSource);
    dialects.set(dataSource, dialect);
  }
  return dialect;
}
