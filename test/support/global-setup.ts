import { Client } from 'pg';

/** Fails the whole e2e run at once when TEST_DATABASE_URL is given but PostgreSQL cannot be reached. */
export default async function globalSetup(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    process.stdout.write('\nTEST_DATABASE_URL is not set: e2e suites run on SQLite only.\n');
    return;
  }
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `TEST_DATABASE_URL is set but PostgreSQL cannot be reached: ${(error as Error).message}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
