import { DataSource } from 'typeorm';
import { dialectOf } from './dialect/dialect-of';

/**
 * Applies pending migrations. On PostgreSQL all of them run in one transaction behind an advisory
 * lock, so that replicas starting together take turns and exactly one migrates (see
 * `dialect/postgres-migrations.ts`); on SQLite one transaction each.
 */
export function runMigrations(dataSource: DataSource): Promise<void> {
  return dialectOf(dataSource).runMigrations();
}

/**
 * Undoes the latest applied migration, under the same lock and in the same one transaction as
 * `runMigrations` (so its SQL finds DATABASE_SCHEMA's tables, through PgBouncer too). Returns the
 * name of the migration it undid, or undefined when none was applied.
 */
export function revertLastMigration(dataSource: DataSource): Promise<string | undefined> {
  return dialectOf(dataSource).revertLastMigration();
}
