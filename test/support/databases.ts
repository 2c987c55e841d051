import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';

/** A database an e2e suite runs against. */
export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  url: string;
  /** PostgreSQL: a schema of the suite's own, so suites can run in parallel on one database. */
  schema?: string;
}

/**
 * SQLite always (a file, so the streaming reader connection is exercised), PostgreSQL whenever
 * TEST_DATABASE_URL is given. A given but unreachable PostgreSQL fails the suite: it is never
 * skipped silently.
 */
export function testDatabases(): TestDatabase[] {
  const token = randomBytes(5).toString('hex');
  const databases: TestDatabase[] = [
    { name: 'sqlite', url: `sqlite:${path.join(os.tmpdir(), 'monitor-e2e', `${token}.db`)}` },
  ];
  const postgres = process.env.TEST_DATABASE_URL;
  if (postgres) {
    databases.push({ name: 'postgres', url: postgres, schema: `e2e_${token}` });
  }
  return databases;
}
