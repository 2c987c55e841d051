import { randomBytes, randomUUID } from 'node:crypto';
import { UsersService } from '../../src/auth/users.service';
import { ingestSession } from '../factories/messages';
import { testDatabases } from '../support/databases';
import { adminQuery, createDatabase, dropDatabase } from '../support/pgbouncer';
import { startTestApp, TestApp } from '../support/test-app';

jest.setTimeout(120_000);

const postgres = testDatabases().find((database) => database.name === 'postgres');
const describePostgres = postgres ? describe : describe.skip;

/**
 * A database that refuses writes, as a standby or a primary mid-failover does: the service answers
 * writes 503 in the contract's shape (a retry later may succeed), and reads go on.
 */
describePostgres('a read-only database [postgres]', () => {
  const name = `e2e_readonly_${randomBytes(5).toString('hex')}`;
  let adminUrl: string;
  let testApp: TestApp;

  const admin = (sql: string) => adminQuery(adminUrl, sql);
  /** New connections see the setting; the service's existing ones are ended so it reconnects. */
  const setReadOnly = async (on: boolean) => {
    await admin(
      `ALTER DATABASE "${name}" SET default_transaction_read_only = ${on ? 'on' : 'off'}`,
    );
    await admin(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`,
    );
  };

  beforeAll(async () => {
    adminUrl = postgres!.url;
    await createDatabase(adminUrl, name);
    const url = new URL(postgres!.url);
    url.pathname = `/${name}`;
    testApp = await startTestApp({ name: 'postgres', url: url.toString() });
  });

  afterAll(async () => {
    await testApp?.close();
    await dropDatabase(adminUrl, name);
  });

  it('answers writes 503 {"detail":"Database unavailable"} and serves reads, then writes again once it is writable', async () => {
    const key = (await testApp.app.get(UsersService).create('reader')).apiKey.plainKey;
    const flowId = randomUUID();
    await ingestSession(testApp, key, { flowId, sessionId: 's', count: 3 });

    await setReadOnly(true);
    // The first request after the terminations may meet a connection that was just ended.
    await testApp.api.get('/health_check');
    const unavailable = { detail: 'Database unavailable' };
    const ingest = await testApp.api.post('/api/v1/monitor/messages', {
      key,
      body: [{ flow_id: flowId, session_id: 's', sender: 'User', sender_name: 'User', text: 'x' }],
    });
    expect(ingest.status).toBe(503);
    expect(ingest.body).toEqual(unavailable);
    const rename = await testApp.api.patch('/api/v1/monitor/messages/session/s', {
      key,
      query: { new_session_id: 't' },
    });
    expect(rename.status).toBe(503);
    expect(rename.body).toEqual(unavailable);
    const remove = await testApp.api.delete('/api/v1/monitor/messages/session/s', { key });
    expect(remove.status).toBe(503);
    expect(remove.body).toEqual(unavailable);

    const list = await testApp.api.get('/api/v1/monitor/messages', {
      key,
      query: { flow_id: flowId },
    });
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(3);
    expect(list.body.every((message: { session_id: string }) => message.session_id === 's')).toBe(
      true,
    );
    expect((await testApp.api.get('/health_check')).status).toBe(200);

    await setReadOnly(false);
    await testApp.api.get('/health_check');
    const renamed = await testApp.api.patch('/api/v1/monitor/messages/session/s', {
      key,
      query: { new_session_id: 't' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toHaveLength(3);
  });
});
