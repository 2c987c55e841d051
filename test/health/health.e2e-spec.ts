import { UsersService } from '../../src/auth/users.service';
import { testDatabases } from '../support/databases';
import { TcpProxy } from '../support/tcp-proxy';
import { describeEachDatabase, startTestApp, TestApp } from '../support/test-app';
import { ingestSession } from '../factories/messages';

describeEachDatabase('health', (ctx) => {
  it('GET /health answers {"status":"ok"} without a key', async () => {
    const response = await ctx().api.get('/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('GET /health_check reports the database', async () => {
    const response = await ctx().api.get('/health_check');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok', db: 'ok' });
  });

  it('answers an unknown route with 404 in the error envelope', async () => {
    const response = await ctx().api.get('/api/v1/nothing-here', { key: 'sk-anything' });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ detail: 'Not Found' });
  });
});

const postgres = testDatabases().find((database) => database.name === 'postgres');
const describePostgres = postgres ? describe : describe.skip;

describePostgres('while PostgreSQL is unreachable [postgres]', () => {
  let proxy: TcpProxy;
  let testApp: TestApp;

  beforeAll(async () => {
    const front = await TcpProxy.inFrontOf(postgres!.url);
    proxy = front.proxy;
    testApp = await startTestApp({ ...postgres!, url: front.url });
  });

  afterAll(async () => {
    await proxy.start();
    await testApp.close();
    await proxy.stop();
  });

  it('answers 503, keeps /health up, and recovers by itself when the database is back', async () => {
    const { apiKey } = await testApp.app.get(UsersService).create('outage-user');
    await ingestSession(testApp, apiKey.plainKey, { sessionId: 'before', count: 3 });
    const key = apiKey.plainKey;

    await proxy.stop();

    const liveness = await testApp.api.get('/health');
    expect(liveness.status).toBe(200);
    const readiness = await testApp.api.get('/health_check');
    expect(readiness.status).toBe(503);
    expect(readiness.body).toEqual({ status: 'error', db: 'error' });
    const list = await testApp.api.get('/api/v1/monitor/messages', { key });
    expect(list.status).toBe(503);
    expect(list.body).toEqual({ detail: 'Database unavailable' });
    const rename = await testApp.api.patch('/api/v1/monitor/messages/session/before', {
      key,
      query: { new_session_id: 'after' },
    });
    expect(rename.status).toBe(503);
    expect(rename.body).toEqual({ detail: 'Database unavailable' });

    await proxy.start();

    const recovered = await testApp.api.get('/health_check');
    expect(recovered.status).toBe(200);
    const renamed = await testApp.api.patch('/api/v1/monitor/messages/session/before', {
      key,
      query: { new_session_id: 'after' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toHaveLength(3);
  });
});
