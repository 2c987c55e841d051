import 'reflect-metadata';
import dataSource from '../ormconfig';
import { runMigrations } from '../src/database/migrate';

/**
 * `npm run migration:run`: the migrations the service runs on start, the same way (one
 * transaction under the migration lock, tables in DATABASE_SCHEMA), for pipelines that migrate
 * as a job of their own and start replicas with MIGRATIONS_RUN=false.
 */
async function main(): Promise<void> {
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`migration:run failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
