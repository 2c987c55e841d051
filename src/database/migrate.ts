import { DataSource } from 'typeorm';

/** An arbitrary constant shared by every replica: the key of the migration advisory lock. */
const MIGRATION_LOCK_KEY = 731_404_221;

/**
 * Applies pending migrations. On PostgreSQL, replicas starting together take turns through an
 * advisory lock, so only one of them creates the schema.
 */
export async function runMigrations(dataSource: DataSource): Promise<void> {
  if (dataSource.options.type !== 'postgres') {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const lockRunner = dataSource.createQueryRunner();
  try {
    await lockRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const schema = (dataSource.options as { schema?: string }).schema;
      if (schema) {
        await lockRunner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      }
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await lockRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await lockRunner.release();
  }
}
