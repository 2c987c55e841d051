import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A database an e2e suite runs against. */
export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  url: string;
  /** PostgreSQL: a schema of the suite's own, so suites can run in parallel on one database. */
  schema?: string;
  /**
   * PostgreSQL through a PgBouncer of the suite's own in transaction mode: the suite gets a
   * database of its own (created and dropped around it) instead of a schema.
   */
  pgbouncer?: { database: string };
}

export interface TestDatabaseOptions {
  /** Also run through PgBouncer in transaction mode (when PostgreSQL is given). */
  pgbouncer?: boolean;
}

/**
 * SQLite always (a file, so the streaming reader connection is exercised), PostgreSQL whenever
 * TEST_DATABASE_URL is given. A given but unreachable PostgreSQL fails the suite: it is never
 * skipped silently.
 */
export function testDatabases(options: TestDatabaseOptions = {}): TestDatabase[] {
  const token = randomBytes(5).toString('hex');
  const databases: TestDatabase[] = [
    { name: 'sqlite', url: `sqlite:${path.join(os.tmpdir(), 'monitor-e2e', `${token}.db`)}` },
  ];
  const postgres = process.env.TEST_DATABASE_URL;
  if (postgres) {
    databases.push({ name: 'postgres', url: postgres, schema: `e2e_${token}` });
    if (options.pgbouncer) {
      databases.push({ name: 'postgres', url: postgres, pgbouncer: { database: `e2e_${token}` } });
    }
  }
  return databases;
}

/** A suite's title tag for a database: [sqlite], [postgres] or [postgres via pgbouncer]. */
export function databaseTag(database: TestDatabase): string {
  return database.pgbouncer ? `${database.name} via pgbouncer` : database.name;
}

/**
 * The URL the suite's own SQL sees its tables through: a direct PostgreSQL connection gets the
 * suite's schema as its search_path (the service itself qualifies its tables instead, since a
 * pooler refuses that startup option).
 */
export function withSearchPath(url: string, schema: string | undefined): string {
  if (!schema) {
    return url;
  }
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

/**
 * Removes what a suite left in a test database: its PostgreSQL schema, or its SQLite file with
 * the WAL, the shared-memory index and the service's claim on it.
 */
export async function dropTestDatabase(database: TestDatabase): Promise<void> {
  if (database.name === 'postgres') {
    if (!database.schema) {
      return;
    }
    const { Client } = await import('pg');
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${database.schema}" CASCADE`);
    } finally {
      await client.end();
    }
    return;
  }
  const file = database.url.slice('sqlite:'.length);
  for (const suffix of ['', '-wal', '-shm', '.lock']) {
    fs.rmSync(`${file}${suffix}`, { force: true });
  }
}
