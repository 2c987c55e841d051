import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { createUser } from '../factories/users';
import { TestDatabase, testDatabases } from '../support/databases';
import { startTestApp, TestApp } from '../support/test-app';

const MESSAGES = '/api/v1/monitor/messages';
const WRONG_KEY = `sk-${'w'.repeat(43)}`;
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Requests as if from `address`: the test apps trust X-Forwarded-For from loopback. */
function from(address: string, key?: string) {
  return { key, headers: { 'x-forwarded-for': address } };
}

/** The contract's 429: a sentence, and Retry-After in whole seconds up to a minute. */
function expectThrottled(
  response: { status: number; body: any; headers: Headers },
  what: RegExp,
): void {
  expect(response.status).toBe(429);
  expect(Object.keys(response.body)).toEqual(['detail']);
  expect(response.body.detail).toMatch(what);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(response.body.detail).toContain(`try again in ${retryAfter} second`);
}

const FAILURES = /^Too many failed authentications: try again in \d+ seconds?$/;
const RATE = /^Rate limit exceeded: try again in \d+ seconds?$/;

// Throttling counts per process or in Redis, not in the database: SQLite is enough here.
describe('throttling [sqlite]', () => {
  const sqlite = (): TestDatabase => testDatabases()[0];

  describe('in process memory', () => {
    let testApp: TestApp;

    beforeAll(async () => {
      testApp = await startTestApp(sqlite(), {
        AUTH_FAILURES_PER_MINUTE: '3',
        RATE_LIMIT_PER_MINUTE: '5',
        TRUSTED_PROXIES: 'loopback',
      });
    });

    afterAll(() => testApp.close());

    it('answers 429 past the failed authentications allowed to one address, even to a valid key, without looking keys up', async () => {
      const alice = await createUser(testApp);
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const refused = await testApp.api.get(MESSAGES, from('203.0.113.7', WRONG_KEY));
        expect(refused.status).toBe(403);
        expect(refused.body).toEqual({ detail: 'Invalid or missing API key' });
      }
      expectThrottled(await testApp.api.get(MESSAGES, from('203.0.113.7', WRONG_KEY)), FAILURES);

      const { statements } = await testApp.countStatements(async () => {
        expectThrottled(await testApp.api.get(MESSAGES, from('203.0.113.7', alice.key)), FAILURES);
        expectThrottled(
          await testApp.api.post('/api/v1/api_key/', from('203.0.113.7', `sk-${'z'.repeat(40)}`)),
          FAILURES,
        );
      });
      expect(statements).toEqual([]);

      // Another address is not affected, nor is a request without any key (a cheap 403).
      expect((await testApp.api.get(MESSAGES, from('203.0.113.8', alice.key))).status).toBe(200);
      expect((await testApp.api.get(MESSAGES, from('203.0.113.7'))).status).toBe(403);
    });

    it('answers 429 past RATE_LIMIT_PER_MINUTE requests with one key; other keys go on', async () => {
      const alice = await createUser(testApp);
      const bob = await createUser(testApp);
      for (let request = 0; request < 5; request += 1) {
        expect((await testApp.api.get(MESSAGES, from('198.51.100.1', alice.key))).status).toBe(200);
      }
      expectThrottled(await testApp.api.get(MESSAGES, from('198.51.100.2', alice.key)), RATE);
      expect((await testApp.api.get(MESSAGES, from('198.51.100.1', bob.key))).status).toBe(200);
    });
  });

  describe('shared in Redis by two replicas', () => {
    const prefix = `monitor-test-${randomBytes(6).toString('hex')}:`;
    let first: TestApp;
    let second: TestApp;
    let redis: Redis;

    beforeAll(async () => {
      const env = {
        AUTH_FAILURES_PER_MINUTE: '2',
        RATE_LIMIT_PER_MINUTE: '4',
        TRUSTED_PROXIES: 'loopback',
        REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
      };
      // Two replicas sharing one Redis. Each has a SQLite file of its own (one service process
      // per SQLite file); the superuser's key is the same in both.
      first = await startTestApp(sqlite(), env);
      second = await startTestApp(sqlite(), env);
      redis = new Redis(REDIS_URL);
    });

    afterAll(async () => {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) {
        await redis.del(...keys);
      }
      redis.disconnect();
      await second.close();
      await first.close();
    });

    it('counts failed authentications across replicas', async () => {
      expect((await first.api.get(MESSAGES, from('192.0.2.10', WRONG_KEY))).status).toBe(403);
      expect((await second.api.get(MESSAGES, from('192.0.2.10', WRONG_KEY))).status).toBe(403);
      expectThrottled(await first.api.get(MESSAGES, from('192.0.2.10', WRONG_KEY)), FAILURES);
      expectThrottled(await second.api.get(MESSAGES, from('192.0.2.10', WRONG_KEY)), FAILURES);
      expect(await redis.keys(`${prefix}*auth-failure:192.0.2.10*`)).not.toEqual([]);
    });

    it('counts a key’s requests across replicas', async () => {
      const alice = await createUser(first);
      // What a shared database would give both replicas: the same user and key rows.
      for (const table of ['user', 'api_key']) {
        const column = table === 'user' ? 'id' : 'user_id';
        const rows = await first.dataSource.query<Record<string, unknown>[]>(
          `SELECT * FROM "${table}" WHERE "${column}" = ?`,
          [alice.id],
        );
        for (const row of rows) {
          const names = Object.keys(row);
          await second.dataSource.query(
            `INSERT INTO "${table}" (${names.map((name) => `"${name}"`).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
            Object.values(row),
          );
        }
      }
      for (const replica of [first, second, first, second]) {
        expect((await replica.api.get(MESSAGES, from('192.0.2.20', alice.key))).status).toBe(200);
      }
      expectThrottled(await second.api.get(MESSAGES, from('192.0.2.20', alice.key)), RATE);
      expectThrottled(await first.api.get(MESSAGES, from('192.0.2.20', alice.key)), RATE);
    });
  });

  describe('with Redis unreachable', () => {
    let testApp: TestApp;

    beforeAll(async () => {
      testApp = await startTestApp(sqlite(), {
        AUTH_FAILURES_PER_MINUTE: '1',
        RATE_LIMIT_PER_MINUTE: '1',
        // Nothing listens on port 1.
        REDIS_URL: 'redis://127.0.0.1:1',
      });
    });

    afterAll(() => testApp.close());

    it('still answers every request, unthrottled', async () => {
      const alice = await createUser(testApp);
      for (let request = 0; request < 3; request += 1) {
        expect((await testApp.api.get(MESSAGES, { key: alice.key })).status).toBe(200);
        expect((await testApp.api.get(MESSAGES, { key: WRONG_KEY })).status).toBe(403);
      }
    });
  });

  it('documents the 429, with Retry-After, on every /api/v1 operation', async () => {
    const testApp = await startTestApp(sqlite());
    try {
      const document = (await testApp.api.get('/openapi.json')).body;
      const missing: string[] = [];
      for (const [path, item] of Object.entries<Record<string, any>>(document.paths)) {
        if (!path.startsWith('/api/v1/')) {
          continue;
        }
        for (const [method, operation] of Object.entries<any>(item)) {
          const answer = operation.responses?.['429'];
          if (!answer?.headers?.['Retry-After'] || !answer.content?.['application/json']) {
            missing.push(`${method.toUpperCase()} ${path}`);
          }
        }
      }
      expect(missing).toEqual([]);
      expect(Object.keys(document.paths).filter((path) => path.startsWith('/api/v1/'))).not.toEqual(
        [],
      );
    } finally {
      await testApp.close();
    }
  });
});
