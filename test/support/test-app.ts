import { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { hashApiKey } from '../../src/auth/api-key-format';
import { SUPERUSER_NAME } from '../../src/auth/superuser.bootstrap';
import { createApp } from '../../src/bootstrap/create-app';
import { loadAppConfig } from '../../src/config/app.config';
import { SqlLogger } from '../../src/database/sql-logger';
import { ApiClient } from './api-client';
import {
  databaseTag,
  dropTestDatabase,
  TestDatabase,
  TestDatabaseOptions,
  testDatabases,
  withSearchPath,
} from './databases';
import { createDatabase, dropDatabase, PgBouncer } from './pgbouncer';

/** The superuser key every test app starts with (MONITOR_SUPERUSER_API_KEY). */
export const ADMIN_KEY = 'sk-test-admin-key-0123456789abcdefghijklmnopqrstuv';

export interface TestApp {
  database: TestDatabase;
  app: NestExpressApplication;
  api: ApiClient;
  dataSource: DataSource;
  /** Counts the SQL statements the service sends while `work` runs. */
  countStatements(work: () => Promise<unknown>): Promise<{ count: number; statements: string[] }>;
  /** Empties every table but the superuser and its key. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestApp(
  database: TestDatabase,
  env: Record<string, string> = {},
): Promise<TestApp> {
  let bouncer: PgBouncer | undefined;
  let url = withSearchPath(database.url, database.schema);
  if (database.pgbouncer) {
    await createDatabase(database.url, database.pgbouncer.database);
    bouncer = await PgBouncer.start(database.url, { poolMode: 'transaction' });
    url = bouncer.url(database.pgbouncer.database);
  }
  const config = loadAppConfig({
    DATABASE_URL: url,
    DATABASE_SCHEMA: database.schema,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'fatal',
    MONITOR_SUPERUSER_API_KEY: ADMIN_KEY,
    PORT: '0',
    // Suites send many wrong keys on purpose; the throttling suite sets its own limit.
    AUTH_FAILURES_PER_MINUTE: '1000000',
    ...env,
  });
  let app: NestExpressApplication;
  try {
    app = await createApp(config);
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await bouncer?.stop();
    throw error;
  }
  const address = app.getHttpServer().address() as { port: number };
  const dataSource = app.get(DataSource);
  const sqlLogger = dataSource.logger as SqlLogger;

  return {
    database,
    app,
    dataSource,
    api: new ApiClient(`http://127.0.0.1:${address.port}`),
    async countStatements(work) {
      const statements: string[] = [];
      const unsubscribe = sqlLogger.subscribe((sql) => statements.push(sql));
      try {
        await work();
      } finally {
        unsubscribe();
      }
      return { count: statements.length, statements };
    },
    async reset() {
      await dataSource.query('DELETE FROM "message"');
      await dataSource.query('DELETE FROM "vertex_build"');
      await dataSource.query('DELETE FROM "transaction"');
      await dataSource.query('DELETE FROM "flow"');
      await dataSource.query(
        `DELETE FROM "api_key" WHERE "key_hash" <> '${hashApiKey(ADMIN_KEY)}'`,
      );
      await dataSource.query(`DELETE FROM "user" WHERE "username" <> '${SUPERUSER_NAME}'`);
      await dataSource.query('UPDATE "user" SET "is_active" = TRUE');
    },
    async close() {
      await app.close();
      if (bouncer && database.pgbouncer) {
        await bouncer.stop();
        await dropDatabase(database.url, database.pgbouncer.database);
      } else {
        await dropTestDatabase(database);
      }
    },
  };
}

/**
 * Runs a suite once per test database (SQLite always, PostgreSQL when TEST_DATABASE_URL is
 * given), against a real HTTP server, each test starting from a clean database. `env` adds to
 * (or overrides) the app's environment.
 */
export function describeEachDatabase(
  title: string,
  suite: (context: () => TestApp) => void,
  options: TestDatabaseOptions & { env?: Record<string, string> } = {},
): void {
  for (const database of testDatabases(options)) {
    describe(`${title} [${databaseTag(database)}]`, () => {
      let testApp: TestApp | undefined;
      beforeAll(async () => {
        testApp = await startTestApp(database, options.env);
      });
      beforeEach(async () => {
        await testApp?.reset();
      });
      afterAll(async () => {
        await testApp?.close();
      });
      suite(() => {
        if (!testApp) {
          throw new Error('the test app did not start');
        }
        return testApp;
      });
    });
  }
}
