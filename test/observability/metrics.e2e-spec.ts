import { randomUUID } from 'node:crypto';
import { createUser } from '../factories/users';
import { ingestSession } from '../factories/messages';
import { testDatabases } from '../support/databases';
import { abandonRequest } from '../support/abandoned-request';
import { freePort } from '../support/process-service';
import { describeEachDatabase, startTestApp } from '../support/test-app';

/** One sample's value from Prometheus's text format, or undefined when it is absent. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describeEachDatabase('GET /metrics', (ctx) => {
  async function scrape(): Promise<string> {
    const response = await ctx().api.get<string>('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return response.text;
  }

  it('is open like /health and carries process and GC metrics', async () => {
    const text = await scrape();
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(sample(text, 'http_requests_in_flight')).toBe(1);
  });

  it('counts ingested messages and the messages each rename moved', async () => {
    const alice = await createUser(ctx());
    const before = await scrape();
    const ingestedBefore = sample(before, 'monitor_ingested_messages_total') ?? 0;
    const renamesBefore = sample(before, 'monitor_rename_moved_messages_count') ?? 0;
    const movedBefore = sample(before, 'monitor_rename_moved_messages_sum') ?? 0;

    await ingestSession(ctx(), alice.key, { sessionId: 'chat 1', count: 7 });
    const renamed = await ctx().api.patch('/api/v1/monitor/messages/session/chat%201', {
      key: alice.key,
      query: { new_session_id: 'chat 2' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toHaveLength(7);

    const after = await scrape();
    expect(sample(after, 'monitor_ingested_messages_total')).toBe(ingestedBefore + 7);
    expect(sample(after, 'monitor_rename_moved_messages_count')).toBe(renamesBefore + 1);
    expect(sample(after, 'monitor_rename_moved_messages_sum')).toBe(movedBefore + 7);
    expect(
      sample(after, 'monitor_rename_moved_messages_bucket', '{le="10"}'),
    ).toBeGreaterThanOrEqual(1);
  });

  it('times requests by route template and status, never by raw path', async () => {
    const alice = await createUser(ctx());
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids) {
      expect(
        (await ctx().api.get(`/api/v1/monitor/messages/${id}`, { key: alice.key })).status,
      ).toBe(404);
    }
    for (const id of ids) {
      expect((await ctx().api.get(`/scanner/${id}`)).status).toBe(404);
    }

    const text = await scrape();
    const labels = '{method="GET",route="/api/v1/monitor/messages/{message_id}",status="404"}';
    expect(sample(text, 'http_request_duration_seconds_count', labels)).toBeGreaterThanOrEqual(3);
    expect(
      sample(
        text,
        'http_request_duration_seconds_count',
        '{method="GET",route="unmatched",status="404"}',
      ),
    ).toBeGreaterThanOrEqual(3);
    for (const id of ids) {
      expect(text).not.toContain(id);
    }
  });

  it('never counts a request that got no answer as answered', async () => {
    const labels = (status: string) =>
      `{method="POST",route="/api/v1/monitor/messages",status="${status}"}`;
    const alice = await createUser(ctx());
    const before = await scrape();
    const noneBefore = sample(before, 'http_request_duration_seconds_count', labels('none')) ?? 0;

    // With a valid key: the service asks for the body (100 Continue) only once it reads it.
    const headers = { 'x-api-key': alice.key };
    await abandonRequest(ctx().api.baseUrl, 'POST', '/api/v1/monitor/messages', headers);
    await abandonRequest(ctx().api.baseUrl, 'POST', '/api/v1/monitor/messages', headers);

    // Counted when the service sees the connection go, which may come a moment after.
    let after = await scrape();
    for (let attempt = 0; attempt < 50; attempt += 1) {
      if (sample(after, 'http_request_duration_seconds_count', labels('none')) === noneBefore + 2) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await scrape();
    }
    expect(sample(after, 'http_request_duration_seconds_count', labels('none'))).toBe(
      noneBefore + 2,
    );
    expect(sample(after, 'http_request_duration_seconds_count', labels('200'))).toBeUndefined();
    expect(sample(after, 'http_requests_in_flight')).toBe(1);
  });

  it("reports the database's connections", async () => {
    const text = await scrape();
    if (ctx().database.name === 'postgres') {
      expect(sample(text, 'db_pool_connections', '{state="total"}')).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'db_pool_connections', '{state="idle"}')).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'db_pool_connections', '{state="waiting"}')).toBe(0);
    } else {
      // An export streams through a read-only connection, which is then kept idle.
      const alice = await createUser(ctx());
      await ingestSession(ctx(), alice.key, { sessionId: 'exported', count: 2 });
      const exported = await fetch(`${ctx().api.baseUrl}/api/v1/monitor/messages/export`, {
        headers: { 'x-api-key': alice.key },
      });
      expect(exported.status).toBe(200);
      expect((await exported.text()).split('\n').filter(Boolean)).toHaveLength(2);
      const after = await scrape();
      expect(sample(after, 'sqlite_reader_connections', '{state="busy"}')).toBe(0);
      expect(sample(after, 'sqlite_reader_connections', '{state="idle"}')).toBeGreaterThanOrEqual(
        1,
      );
    }
  });
});

describe('METRICS_PORT', () => {
  it('serves /metrics on its own port only', async () => {
    const [sqlite] = testDatabases();
    const metricsPort = await freePort();
    const testApp = await startTestApp(sqlite, { METRICS_PORT: String(metricsPort) });
    try {
      expect((await testApp.api.get('/metrics')).status).toBe(404);
      const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('# TYPE http_request_duration_seconds histogram');
      expect((await fetch(`http://127.0.0.1:${metricsPort}/health`)).status).toBe(404);
    } finally {
      await testApp.close();
    }
    await expect(fetch(`http://127.0.0.1:${metricsPort}/metrics`)).rejects.toThrow();
  });
});
