import { randomUUID } from 'node:crypto';
import { createUser } from '../factories/users';
import { ingestSession } from '../factories/messages';
import { testDatabases } from '../support/databases';
import { startTestApp, TestApp } from '../support/test-app';

// How the service sits behind a proxy and serves browsers does not depend on the database.
const ORIGIN = 'https://app.example.com';
const FORWARDED = {
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'api.example.com',
  'x-forwarded-prefix': '/monitor',
  'x-forwarded-for': '203.0.113.9',
};

async function pageLink(testApp: TestApp, headers: Record<string, string>): Promise<string> {
  const alice = await createUser(testApp);
  await ingestSession(testApp, alice.key, { sessionId: `s-${randomUUID()}`, count: 2 });
  const response = await testApp.api.get('/api/v1/monitor/messages', {
    key: alice.key,
    query: { limit: '1' },
    headers,
  });
  expect(response.status).toBe(200);
  return response.headers.get('link') ?? '';
}

describe('CORS_ORIGINS and TRUSTED_PROXIES set', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await startTestApp(testDatabases()[0], {
      CORS_ORIGINS: `${ORIGIN},http://localhost:5173`,
      TRUSTED_PROXIES: 'loopback',
    });
  });
  afterAll(async () => {
    await testApp?.close();
  });

  it('answers a preflight from an allowed origin 204, with the methods and x-api-key allowed', async () => {
    const response = await fetch(`${testApp.api.baseUrl}/api/v1/monitor/messages/session/a`, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'x-api-key',
      },
    });

    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers.get('access-control-allow-methods')).toBe(
      'GET,HEAD,POST,PUT,PATCH,DELETE',
    );
    expect(response.headers.get('access-control-allow-headers')).toContain('x-api-key');
  });

  it('lets the page read the answer and its paging headers; other origins get no grant', async () => {
    const allowed = await testApp.api.get('/api/v1/api_key/', {
      key: (await createUser(testApp)).key,
      headers: { origin: ORIGIN },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(allowed.headers.get('access-control-expose-headers')).toContain('link');

    const other = await testApp.api.get('/health', { headers: { origin: 'https://evil.example' } });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("builds the Link's next page from a trusted proxy's scheme, host and prefix", async () => {
    const link = await pageLink(testApp, FORWARDED);
    expect(link).toMatch(
      /^<https:\/\/api\.example\.com\/monitor\/api\/v1\/monitor\/messages\?limit=1&cursor=[^>]+>; rel="next"$/,
    );
  });

  it('keeps the link relative, with the prefix, when the proxy forwards only a prefix', async () => {
    const link = await pageLink(testApp, { 'x-forwarded-prefix': '/monitor/' });
    expect(link).toMatch(/^<\/monitor\/api\/v1\/monitor\/messages\?limit=1&cursor=[^>]+>/);
  });

  it('ignores a prefix that is not a plain path', async () => {
    const link = await pageLink(testApp, { 'x-forwarded-prefix': '/a>b<c' });
    expect(link).toMatch(/^<\/api\/v1\/monitor\/messages\?/);
  });
});

describe('CORS_ORIGINS and TRUSTED_PROXIES unset', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await startTestApp(testDatabases()[0]);
  });
  afterAll(async () => {
    await testApp?.close();
  });

  it('sends no CORS headers, preflight or not', async () => {
    const preflight = await fetch(`${testApp.api.baseUrl}/api/v1/monitor/messages`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const health = await testApp.api.get('/health', { headers: { origin: ORIGIN } });
    expect(health.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('ignores forwarded headers from anyone: the Link stays relative', async () => {
    const link = await pageLink(testApp, FORWARDED);
    expect(link).toMatch(/^<\/api\/v1\/monitor\/messages\?limit=1&cursor=[^>]+>; rel="next"$/);
  });
});
