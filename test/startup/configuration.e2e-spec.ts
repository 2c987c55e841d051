import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { ConfigError, loadAppConfig } from '../../src/config/app.config';
import { parseDatabaseUrl } from '../../src/config/database-url';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { databaseEnv } from '../support/cli-runner';
import {
  dropTestDatabase,
  TestDatabase,
  testDatabases,
  withSearchPath,
} from '../support/databases';
import { freePort, ServiceProcess } from '../support/process-service';
import { startTestApp } from '../support/test-app';

// Real processes start from source through ts-node: slow, so the timeouts are generous.
jest.setTimeout(180_000);

const KEY_FORMAT = /^sk-[A-Za-z0-9_-]{32,}$/;
const SUPERUSER_KEY = `sk-configured-superuser-key-${'k'.repeat(24)}`;
const TABLES = ['user', 'api_key', 'flow', 'message'];
/** The key in the first-start banner: the only sk- token on its own indented line. */
const bannerKey = (stderr: string) => /^ +(sk-\S+)$/m.exec(stderr)?.[1] ?? '';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface UserRow {
  username: string;
  is_superuser: boolean;
  is_active: boolean;
}

/** A database of `kind` that nothing has touched yet: a new SQLite file or PostgreSQL schema. */
function freshDatabase(kind: TestDatabase['name']): TestDatabase {
  const database = testDatabases().find((candidate) => candidate.name === kind);
  if (!database) {
    throw new Error(`no ${kind} test database`);
  }
  return database;
}

/** Opens the database directly, without the service and without running migrations. */
async function openDirectly(database: TestDatabase): Promise<DataSource> {
  return new DataSource(
    buildDataSourceOptions(parseDatabaseUrl(withSearchPath(database.url, database.schema)), {
      schema: database.schema,
    }),
  ).initialize();
}

async function usersIn(database: TestDatabase): Promise<UserRow[]> {
  const dataSource = await openDirectly(database);
  try {
    const rows = await dataSource.query<Record<string, unknown>[]>(
      'SELECT "username", "is_superuser", "is_active" FROM "user" ORDER BY "username"',
    );
    return rows.map((row) => ({
      username: row.username as string,
      is_superuser: Boolean(row.is_superuser),
      is_active: Boolean(row.is_active),
    }));
  } finally {
    await dataSource.destroy();
  }
}

async function keyHashesIn(database: TestDatabase): Promise<string[]> {
  const dataSource = await openDirectly(database);
  try {
    const rows = await dataSource.query<{ key_hash: string }[]>('SELECT "key_hash" FROM "api_key"');
    return rows.map((row) => row.key_hash);
  } finally {
    await dataSource.destroy();
  }
}

async function listKeys(service: ServiceProcess, key: string) {
  const response = await fetch(`${service.baseUrl}/api/v1/api_key/`, {
    headers: { 'x-api-key': key },
  });
  return { status: response.status, body: (await response.json()) as any };
}

for (const { name } of testDatabases()) {
  describe(`the service process [${name}]`, () => {
    let database: TestDatabase;
    const services: ServiceProcess[] = [];
    const start = async (env: Record<string, string | undefined> = {}) => {
      const service = await ServiceProcess.start({
        ...databaseEnv(database),
        LOG_LEVEL: 'info',
        ...env,
      });
      services.push(service);
      return service;
    };

    beforeEach(() => {
      database = freshDatabase(name);
    });
    afterEach(async () => {
      for (const service of services.splice(0)) {
        service.kill();
      }
      await dropTestDatabase(database);
    });

    it('first start creates the superuser admin and logs its key once; a second start does neither', async () => {
      const first = await start();
      // A plain banner on standard error, outside the log stream: stdout never sees the key.
      expect(first.stderr).toContain(
        'Created the superuser "admin". Its API key, shown only this once:',
      );
      const key = bannerKey(first.stderr);
      expect(key).toMatch(KEY_FORMAT);
      expect(first.stdout).not.toContain(key);
      expect(first.stderr.split(key)).toHaveLength(2);
      expect(first.logLines().some((line) => /Created superuser "admin"/.test(line.msg))).toBe(
        true,
      );

      const listed = await listKeys(first, key);
      expect(listed.status).toBe(200);
      expect(listed.body.total_count).toBe(1);
      expect((await first.stop('SIGTERM')).code).toBe(0);

      const second = await start();
      expect(second.stdout + second.stderr).not.toContain('Created superuser');
      expect(second.stdout + second.stderr).not.toMatch(/sk-[A-Za-z0-9_-]{8}/);
      expect((await listKeys(second, key)).status).toBe(200);
      expect((await second.stop('SIGTERM')).code).toBe(0);

      expect(await usersIn(database)).toEqual([
        { username: 'admin', is_superuser: true, is_active: true },
      ]);
      expect(await keyHashesIn(database)).toEqual([sha256(key)]);
    });

    it("MONITOR_SUPERUSER_API_KEY becomes admin's key, and is not printed", async () => {
      const service = await start({ MONITOR_SUPERUSER_API_KEY: SUPERUSER_KEY });

      expect(service.logLines().map((line) => line.msg)).toContain(
        'Created superuser "admin" with the key from MONITOR_SUPERUSER_API_KEY',
      );
      expect(service.stderr).toBe('');
      expect(service.stdout + service.stderr).not.toContain(SUPERUSER_KEY.slice(3));
      const listed = await listKeys(service, SUPERUSER_KEY);
      expect(listed.status).toBe(200);
      expect(listed.body.total_count).toBe(1);
      expect((await service.stop('SIGINT')).code).toBe(0);

      expect(await usersIn(database)).toEqual([
        { username: 'admin', is_superuser: true, is_active: true },
      ]);
      expect(await keyHashesIn(database)).toEqual([sha256(SUPERUSER_KEY)]);
    });

    // Replicas need PostgreSQL; on SQLite the second process is refused (sqlite-single-process).
    const replicasIt = name === 'postgres' ? it : it.skip;
    replicasIt(
      'two replicas starting together on a new database make one admin and print one key',
      async () => {
        const [one, two] = await Promise.all([start(), start()]);

        const printed = (one.stderr + two.stderr).match(/shown only this once:/g) ?? [];
        expect(printed).toHaveLength(1);
        expect(one.stdout + two.stdout).not.toMatch(/sk-[A-Za-z0-9_-]{8}/);
        expect(await usersIn(database)).toEqual([
          { username: 'admin', is_superuser: true, is_active: true },
        ]);
        expect(await keyHashesIn(database)).toHaveLength(1);
        expect((await one.stop()).code).toBe(0);
        expect((await two.stop()).code).toBe(0);
      },
    );

    it('answers /health, then on SIGTERM stops listening and exits 0', async () => {
      const service = await start({ MONITOR_SUPERUSER_API_KEY: SUPERUSER_KEY });
      const health = await fetch(`${service.baseUrl}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${service.baseUrl}/health_check`);
      expect(await ready.json()).toEqual({ status: 'ok', db: 'ok' });

      const result = await service.stop('SIGTERM');

      expect(result).toMatchObject({ code: 0, signal: null });
      expect(result.stdout).toContain('SIGTERM received');
      expect(result.stderr).toBe('');
      await expect(fetch(`${service.baseUrl}/health`)).rejects.toThrow();
    });
  });

  describe(`migrations on start [${name}]`, () => {
    it('creates every table on a new database and records the migration', async () => {
      const testApp = await startTestApp(freshDatabase(name));
      try {
        const runner = testApp.dataSource.createQueryRunner();
        try {
          for (const table of TABLES) {
            expect([table, await runner.hasTable(table)]).toEqual([table, true]);
          }
        } finally {
          await runner.release();
        }
        expect(await testApp.dataSource.showMigrations()).toBe(false);
        const applied = await testApp.dataSource.query<{ name: string }[]>(
          'SELECT "name" FROM "migrations"',
        );
        expect(applied.map((row) => row.name)).toContain('InitialSchema1764000000000');
        const health = await testApp.api.get('/health_check');
        expect(health.body).toEqual({ status: 'ok', db: 'ok' });
      } finally {
        await testApp.close();
      }
    });

    it('starts again on an already migrated database without applying anything twice', async () => {
      const database = freshDatabase(name);
      const first = await startTestApp(database);
      const applied = await first.dataSource.query<unknown[]>('SELECT * FROM "migrations"');
      await first.app.close();

      const second = await startTestApp(database);
      try {
        expect(await second.dataSource.query('SELECT * FROM "migrations"')).toEqual(applied);
        expect(await second.dataSource.query('SELECT "username" FROM "user"')).toEqual([
          { username: 'admin' },
        ]);
      } finally {
        await second.close();
      }
    });
  });
}

describe('configuration errors stop the start', () => {
  const scratch = path.join(
    os.tmpdir(),
    'monitor-e2e',
    `startup-${randomBytes(5).toString('hex')}`,
  );
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('an invalid MONITOR_SUPERUSER_API_KEY: exit 1, a clear sentence, the key not echoed, nothing created', async () => {
    const folder = path.join(scratch, 'never-created');
    const service = ServiceProcess.spawn({
      DATABASE_URL: `sqlite:${path.join(folder, 'monitor.db')}`,
      MONITOR_SUPERUSER_API_KEY: 'sk-short-secret',
      PORT: String(await freePort()),
    });

    const result = await service.waitForExit();

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Invalid configuration:\n' +
        '- MONITOR_SUPERUSER_API_KEY must be "sk-" followed by at least 32 URL-safe characters (A-Z, a-z, 0-9, "-", "_").\n',
    );
    expect(result.stdout + result.stderr).not.toContain('short-secret');
    expect(fs.existsSync(folder)).toBe(false);
  });

  it('invalid PORT, LOG_LEVEL and DATABASE_URL: exit 1 and one sentence each, no stack trace', async () => {
    const service = ServiceProcess.spawn({
      PORT: '70000',
      LOG_LEVEL: 'chatty',
      DATABASE_URL: 'mysql://db/monitor',
    });

    const result = await service.waitForExit();

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      [
        'Invalid configuration:',
        '- PORT must be a whole number from 0 to 65535, got "70000".',
        '- DATABASE_URL must be sqlite:<path>, sqlite::memory: or postgres://user:pass@host:port/db.',
        '- LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, got "chatty".',
        '',
      ].join('\n'),
    );
    expect(result.stdout).toBe('');
  });

  it.each([
    [{ PORT: 'http' }, 'PORT must be a whole number from 0 to 65535, got "http".'],
    [{ PORT: '-1' }, 'PORT must be a whole number from 0 to 65535, got "-1".'],
    [
      { LOG_LEVEL: 'verbose' },
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, got "verbose".',
    ],
    [{ DATABASE_URL: 'sqlite:' }, 'DATABASE_URL "sqlite:" needs a file path'],
    [{ DATABASE_URL: 'postgres://db:5432' }, 'DATABASE_URL must name a host and a database'],
    [{ MONITOR_SUPERUSER_API_KEY: 'short' }, 'MONITOR_SUPERUSER_API_KEY must be "sk-" followed'],
  ])('loadAppConfig(%j) refuses with a clear sentence', (env, sentence) => {
    expect(() => loadAppConfig(env)).toThrow(ConfigError);
    expect(() => loadAppConfig(env)).toThrow(sentence);
  });

  it('the in-process app refuses an invalid superuser key before touching the database', async () => {
    const database = freshDatabase('sqlite');
    await expect(startTestApp(database, { MONITOR_SUPERUSER_API_KEY: 'short' })).rejects.toThrow(
      ConfigError,
    );
    expect(fs.existsSync(database.url.slice('sqlite:'.length))).toBe(false);
  });

  it('creates the SQLite folder when it is missing', async () => {
    const file = path.join(scratch, 'nested', 'deeper', 'monitor.db');
    expect(fs.existsSync(path.dirname(file))).toBe(false);

    const testApp = await startTestApp({ name: 'sqlite', url: `sqlite:${file}` });
    try {
      expect(fs.existsSync(file)).toBe(true);
      const health = await testApp.api.get('/health_check');
      expect(health.body).toEqual({ status: 'ok', db: 'ok' });
    } finally {
      await testApp.close();
    }
  });
});
