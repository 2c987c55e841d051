import { DataSource, MigrationExecutor, QueryRunner } from 'typeorm';
import { withoutSilenceBound } from '../bounded-pg-client';

/** An arbitrary constant shared by every replica: the key of the migration advisory lock. */
const MIGRATION_LOCK_KEY = 731_404_221;

/**
 * Runs `work` with a migration executor inside one transaction that first takes a
 * transaction-scoped advisory lock, so replicas starting together take turns and exactly one of
 * them migrates; the others then find nothing pending. A transaction-scoped lock, unlike a
 * session-level one, lives and dies with its transaction on one server connection, which is what
 * a pooler in transaction mode (PgBouncer) guarantees and all it guarantees: nothing is left held
 * by a replica that crashed, and an unlock can never land on another connection. The schema's
 * `search_path` is set for that transaction only, so the tables land in DATABASE_SCHEMA without
 * relying on a session setting.
 */
export async function inMigrationTransaction<T>(
  dataSource: DataSource,
  work: (executor: MigrationExecutor) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner('master');
  try {
    const client: unknown = await runner.connect();
    return await withoutSilenceBound(client, () => migrateInTransaction(dataSource, runner, work));
  } finally {
    await runner.release();
  }
}

async function migrateInTransaction<T>(
  dataSource: DataSource,
  runner: QueryRunner,
  work: (executor: MigrationExecutor) => Promise<T>,
): Promise<T> {
  await runner.startTransaction();
  try {
    // Waiting behind another replica's migrations, or building an index, may take long.
    await runner.query(`SELECT set_config('statement_timeout', '0', true)`);
    await runner.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    const schema = (dataSource.options as { schema?: string }).schema;
    if (schema) {
      await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await runner.query(`SELECT set_config('search_path', $1, true)`, [`"${schema}"`]);
    }
    const executor = new MigrationExecutor(dataSource, runner);
    // The transaction is already open: every migration runs inside it, all or none.
    executor.transaction = 'all';
    const result = await work(executor);
    await runner.commitTransaction();
    return result;
  } catch (error) {
    if (runner.isTransactionActive) {
      await runner.rollbackTransaction().catch(() => undefined);
    }
    throw error;
  }
}
