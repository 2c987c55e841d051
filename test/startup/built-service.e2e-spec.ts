import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { childEnv, lastLine, PROJECT_ROOT } from '../support/cli-runner';
import { testDatabases } from '../support/databases';
import { freePort, ServiceProcess } from '../support/process-service';
import { descendantsOf, isRunning, portIsFree } from '../support/process-tree';

// The service as operators launch it: `npm start` (which builds), `npm run start:prod`, node as
// PID 1, and the CLI and migrations from a copy of the build with production dependencies only.
// One file, in order, because they share the one dist/ folder the first test builds.
jest.setTimeout(600_000);

const KEY = `sk-built-service-key-${'b'.repeat(28)}`;
const scratch = path.join(os.tmpdir(), 'monitor-e2e', `built-${randomUUID()}`);
const started: ServiceProcess[] = [];

async function launch(command: string[]): Promise<{ service: ServiceProcess; port: number }> {
  const port = await freePort();
  const service = ServiceProcess.launch(command, {
    PORT: String(port),
    DATABASE_URL: `sqlite:${path.join(scratch, `${randomUUID()}.db`)}`,
    MONITOR_SUPERUSER_API_KEY: KEY,
  });
  started.push(service);
  await service.waitUntilHealthy(300_000);
  return { service, port };
}

/** Signals the launcher's pid only and checks that the whole tree ends and the port is free. */
async function expectCleanStop(
  { service, port }: { service: ServiceProcess; port: number },
  signal: NodeJS.Signals,
): Promise<void> {
  const tree = descendantsOf(service.pid);
  expect(tree.length).toBeGreaterThan(0);

  service.signal(signal);
  const result = await service.waitForExit(60_000);

  expect(result).toMatchObject({ code: 0, signal: null });
  expect(service.logLines().map((line) => line.msg)).toContain(`${signal} received: shutting down`);
  expect(tree.filter(isRunning)).toEqual([]);
  expect(await portIsFree(port)).toBe(true);
}

afterAll(() => {
  for (const service of started) {
    service.kill();
  }
  fs.rmSync(scratch, { recursive: true, force: true });
});

beforeAll(() => fs.mkdirSync(scratch, { recursive: true }));

describe('launching the service', () => {
  it('npm start builds and serves; SIGTERM to npm ends every process under it', async () => {
    await expectCleanStop(await launch(['npm', 'start']), 'SIGTERM');
  });

  it('npm run start:prod: SIGINT to npm ends it the same way', async () => {
    await expectCleanStop(await launch(['npm', 'run', 'start:prod']), 'SIGINT');
  });

  it('node as PID 1 of its own PID namespace (as in a container) stops on SIGTERM', async () => {
    if (process.getuid?.() !== 0 || spawnSync('unshare', ['--version']).status !== 0) {
      throw new Error('this test needs root and util-linux unshare (CI runs as root)');
    }
    const { service, port } = await launch([
      'unshare',
      '--fork',
      '--pid',
      '--mount-proc',
      '--kill-child',
      process.execPath,
      'dist/src/main.js',
    ]);
    expect(service.logLines()[0]?.pid).toBe(1);
    const [node] = descendantsOf(service.pid);

    // What `docker stop` does: SIGTERM to the container's PID 1, the service itself.
    process.kill(node, 'SIGTERM');
    const result = await service.waitForExit(60_000);

    expect(result.code).toBe(0);
    expect(service.logLines().map((line) => line.msg)).toContain('SIGTERM received: shutting down');
    expect(await portIsFree(port)).toBe(true);
  });
});

describe('a copy of the build with production dependencies only', () => {
  const copy = path.join(scratch, 'copy');

  function run(command: string[], env: Record<string, string | undefined> = {}) {
    const result = spawnSync(command[0], command.slice(1), {
      cwd: copy,
      env: childEnv(env),
      encoding: 'utf8',
      timeout: 300_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  beforeAll(() => {
    fs.mkdirSync(copy, { recursive: true });
    for (const entry of ['dist', 'package.json', 'package-lock.json']) {
      fs.cpSync(path.join(PROJECT_ROOT, entry), path.join(copy, entry), { recursive: true });
    }
    // Install scripts off: they would compile better-sqlite3 again; its binary is the same
    // version's, so it is copied from the project instead.
    const installed = run([
      'npm',
      'ci',
      '--omit=dev',
      '--ignore-scripts',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
    ]);
    expect(installed.stderr).not.toMatch(/ERR!/);
    expect(installed.code).toBe(0);
    const binary = 'node_modules/better-sqlite3/build';
    fs.cpSync(path.join(PROJECT_ROOT, binary), path.join(copy, binary), { recursive: true });
    // typeorm lists ts-node and typescript as peers, so npm brings them; removed, they prove
    // that nothing here needs them.
    for (const peer of ['ts-node', 'typescript']) {
      fs.rmSync(path.join(copy, 'node_modules', peer), { recursive: true, force: true });
    }
  });

  it('has no development tool in it', () => {
    for (const tool of ['ts-node', '@nestjs/cli', 'typescript', 'jest', 'ts-jest', 'eslint']) {
      expect([tool, fs.existsSync(path.join(copy, 'node_modules', tool))]).toEqual([tool, false]);
    }
  });

  it('runs the CLI by its bin entry: --version, migrations, user create, list, deactivate, activate', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(copy, 'package.json'), 'utf8'));
    const bin = path.join(copy, manifest.bin['monitor-service']);
    expect(fs.readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const cli = (...args: string[]) =>
      run([process.execPath, bin, ...args], {
        DATABASE_URL: `sqlite:${path.join(copy, 'data', 'monitor.db')}`,
      });

    expect(cli('--version')).toMatchObject({
      code: 0,
      stdout: `monitor-service ${manifest.version}\n`,
    });

    const migrated = cli('migration', 'run');
    expect(migrated.stderr).toBe('');
    expect(migrated.stdout).toMatch(/^Migrations applied: InitialSchema1764000000000\b/);

    const created = cli('user', 'create', 'alice');
    expect(created.code).toBe(0);
    expect(lastLine(created.stdout)).toMatch(/^sk-/);
    expect(cli('user', 'deactivate', 'alice').code).toBe(0);
    expect(cli('user', 'list').stdout).toMatch(
      /^alice {2}[0-9a-f-]{36} {2}inactive {2}user {2}\S+Z\n$/,
    );
    expect(cli('user', 'activate', 'alice')).toMatchObject({
      code: 0,
      stdout: 'Activated alice: their API keys work again.\n',
    });
    expect(cli('user', 'list').stdout).toMatch(/^alice {2}[0-9a-f-]{36} {2}active {2}user /);

    const refused = cli('user', 'create', 'bad name!');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('A new username has 1 to 64 characters');
  });

  it('runs migrations (creating the schema) and reverts them with npm run migration:*:prod', async () => {
    const databases = testDatabases();
    for (const database of databases) {
      const env = { DATABASE_URL: database.url, DATABASE_SCHEMA: database.schema };
      try {
        const applied = run(['npm', 'run', '--silent', 'migration:run:prod'], env);
        expect([database.name, applied.code, applied.stderr]).toEqual([database.name, 0, '']);
        expect(applied.stdout).toMatch(/^Migrations applied: InitialSchema1764000000000\b/);
        const reverted = run(['npm', 'run', '--silent', 'migration:revert:prod'], env);
        expect([database.name, reverted.code]).toEqual([database.name, 0]);
        expect(reverted.stdout).toMatch(/reverted successfully/);
        const again = run(['npm', 'run', '--silent', 'migration:run:prod'], env);
        expect([database.name, again.code]).toEqual([database.name, 0]);
        expect(again.stdout).toBe(applied.stdout);
      } finally {
        if (database.name === 'sqlite') {
          fs.rmSync(database.url.slice('sqlite:'.length), { force: true });
        } else {
          const client = new Client({ connectionString: database.url });
          await client.connect();
          await client.query(`DROP SCHEMA IF EXISTS "${database.schema}" CASCADE`);
          await client.end();
        }
      }
    }
  });
});
