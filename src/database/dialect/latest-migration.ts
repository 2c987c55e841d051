import { MigrationExecutor } from 'typeorm';

/** The name of the latest applied migration, or undefined when none was applied. */
export async function latestMigration(executor: MigrationExecutor): Promise<string | undefined> {
  const executed = await executor.getExecutedMigrations();
  return executed.sort((a, b) => b.timestamp - a.timestamp || (b.id ?? 0) - (a.id ?? 0))[0]?.name;
}
