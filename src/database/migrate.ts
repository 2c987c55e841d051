import { DataSource, MigrationExecutor } from 'typeorm';

/** An arbitrary constant shared by every replica: the key of the migration advisory lock. */
const MIGRATION_LOCK_KEY = 731_404_221;

/**
 * Applies pending migrations.
 *
 * On PostgreSQL every pending migration runs in one transaction that first takes a
 * transaction-scoped advisory lock, so replicas starting together take turns and exactly one of
 * them migrates; the others then find nothing pending. A transaction-scoped lock, unlike a
 * session-level one, lives and dies with its transaction on one server connection, which is what
 * a pooler in transaction mode (PgBouncer) guarantees and all it guarantees: nothing is left held
 * by a replica that crashed, and an unlock can never land on another connection. The schema's
 * `search_path` is set for that transaction only, so the tables land in DATABASE_SCHEMA without
 * relying on a session setting.
 */
export async function runMigrations(dataSource: DataSource): Promise<void> {
  if (dataSource.options.type !== 'postgres') {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const runner = dataSource.createQueryRunner('master');
  try {
    await runner.startTransaction();
    try {
      await runner.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const schema = (dataSource.options as { schema?: string }).schema;
      if (schema) {
        await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
        await runner.query(`SELECT set_config('search_path', $1, true)`, [`"${schema}"`]);
      }
      const executor = new MigrationExecutor(dataSource, runner);
      // The transaction is already open: every migration runs inside it, all or none.
      executor.transaction = 'all';
      await executor.executePendingMigrations();
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) {
        await runner.rollbackTransaction().catch(() => undefined);
      }
      throw error;
    }
  } finally {
    await runner.release();
  }
}
