import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { runCli } from '../support/cli-runner';
import { ServiceProcess } from '../support/process-service';

// Real processes start from source through ts-node: slow, so the timeouts are generous.
jest.setTimeout(180_000);

const ADMIN_KEY = `sk-single-process-admin-key-${'a'.repeat(24)}`;

/**
 * Two service processes on one SQLite file would each queue their own transactions: the second
 * is refused at start with a sentence, the first goes on, and the claim dies with its process.
 */
describe('SQLite: one service process per database file', () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-single-'));
  const file = path.join(folder, `${randomBytes(4).toString('hex')}.db`);
  const env = {
    DATABASE_URL: `sqlite:${file}`,
    MONITOR_SUPERUSER_API_KEY: ADMIN_KEY,
    LOG_LEVEL: 'warn',
  };
  const started: ServiceProcess[] = [];

  afterAll(() => {
    for (const service of started) {
      service.kill();
    }
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('refuses a second process with a clear sentence, keeps the first, frees the file on kill -9', async () => {
    const first = await ServiceProcess.start(env);
    started.push(first);

    const second = ServiceProcess.spawn({ ...env, PORT: '0' });
    started.push(second);
    const refused = await second.waitForExit(120_000);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `Another monitor-service process is already using the SQLite database ${file}.`,
    );
    expect(refused.stderr).toContain('use PostgreSQL to run several replicas');
    expect(refused.stderr).not.toContain('    at ');

    // The first one never noticed.
    const health = await fetch(`${first.baseUrl}/health_check`);
    expect(health.status).toBe(200);
    const list = await fetch(`${first.baseUrl}/api/v1/monitor/messages`, {
      headers: { 'x-api-key': ADMIN_KEY },
    });
    expect(list.status).toBe(200);

    // The admin CLI works beside the running service.
    const created = await runCli(['user', 'create', 'carol'], { DATABASE_URL: env.DATABASE_URL });
    expect(created.code).toBe(0);

    // kill -9 leaves no stale claim: the next start succeeds at once.
    first.kill();
    await first.exited;
    const third = await ServiceProcess.start(env);
    started.push(third);
    const after = await fetch(`${third.baseUrl}/health_check`);
    expect(after.status).toBe(200);
    expect((await third.stop('SIGTERM')).code).toBe(0);
  });
});
