import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { generateApiKey } from '../../src/auth/api-key-format';
import { messageInput } from '../factories/messages';
import { createUser, TestUser } from '../factories/users';
import { ApiResponse } from '../support/api-client';
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

/**
 * What a shared database would give two replicas: the same user and key rows. For replicas on
 * SQLite, each with a file of its own (one service process per SQLite file).
 */
async function copyUser(source: TestApp, target: TestApp, userId: string): Promise<void> {
  for (const table of ['user', 'api_key']) {
    const column = table === 'user' ? 'id' : 'user_id';
    const rows = await source.dataSource.query<Record<string, unknown>[]>(
      `SELECT * FROM "${table}" WHERE "${column}" = ?`,
      [userId],
    );
    for (const row of rows) {
      const names = Object.keys(row);
      await target.dataSource.query(
        `INSERT INTO "${table}" (${names.map((name) => `"${name}"`).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
        Object.values(row),
      );
    }
  }
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

    it('answers 429 to the wrong keys of an address past its failed authentications, and lets its valid keys through', async () => {
      const alice = await createUser(testApp);
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const refused = await testApp.api.get(MESSAGES, from('203.0.113.7', WRONG_KEY));
        expect(refused.status).toBe(403);
        expect(refused.body).toEqual({ detail: 'Invalid or missing API key' });
      }
      expectThrottled(await testApp.api.get(MESSAGES, from('203.0.113.7', WRONG_KEY)), FAILURES);

      // A wrong key already refused costs no lookup while the address is blocked; a new one costs
      // the one lookup that tells it from a valid key.
      const again = await testApp.countStatements(async () => {
        expectThrottled(await testApp.api.get(MESSAGES, from('203.0.113.7', WRONG_KEY)), FAILURES);
      });
      expect(again.statements).toEqual([]);
      const other = await testApp.countStatements(async () => {
        expectThrottled(
          await testApp.api.post('/api/v1/api_key/', from('203.0.113.7', `sk-${'z'.repeat(40)}`)),
          FAILURES,
        );
      });
      expect(other.count).toBe(1);

      // Valid keys from the blocked address pass, including one it never sent before.
      const bob = await createUser(testApp);
      for (const user of [alice, bob]) {
        const answer = await testApp.api.get(MESSAGES, from('203.0.113.7', user.key));
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual([]);
      }

      // Another address is not affected, even by the same wrong key (looked up and counted there),
      // nor is a request without any key (a cheap 403).
      expect((await testApp.api.get(MESSAGES, from('203.0.113.8', WRONG_KEY))).status).toBe(403);
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
      await copyUser(first, second, alice.id);
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

/**
 * One address shared by everyone, as behind a reverse proxy or a NAT without TRUSTED_PROXIES: the
 * test server sees every client as 127.0.0.1. One client sends 1,000 wrong keys while 16 others,
 * each with a key of its own, use the service.
 */
for (const { name } of testDatabases()) {
  describe(`1,000 wrong keys and 16 users from one address [${name}]`, () => {
    const database = (): TestDatabase => testDatabases().find((each) => each.name === name)!;
    const WRONG_KEYS = 1000;
    const ATTACKER_CONCURRENCY = 16;
    const USERS = 16;
    const ROUNDS = 4;

    /**
     * The wrong keys, new ones each time, `ATTACKER_CONCURRENCY` at a time, spread over the
     * replicas; `onRefused` is called at each 429.
     */
    async function attack(replicas: TestApp[], onRefused: () => void): Promise<ApiResponse[]> {
      const answers: ApiResponse[] = [];
      let next = 0;
      const attacker = async (): Promise<void> => {
        while (next < WRONG_KEYS) {
          const index = next++;
          const answer = await replicas[index % replicas.length].api.get(MESSAGES, {
            key: generateApiKey(),
          });
          answers[index] = answer;
          if (answer.status === 429) {
            onRefused();
          }
        }
      };
      await Promise.all(Array.from({ length: ATTACKER_CONCURRENCY }, attacker));
      return answers;
    }

    /** A user's rounds of storing a message and listing its messages: each must be 201 then 200. */
    async function use(replicas: TestApp[], user: TestUser): Promise<void> {
      const sent: string[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const replica = replicas[round % replicas.length];
        const text = `${user.username}: message ${round}`;
        const stored = await replica.api.post(MESSAGES, {
          key: user.key,
          body: [messageInput({ session_id: user.username, text })],
        });
        expect(stored.status).toBe(201);
        sent.push(text);
        const listed = await replica.api.get(MESSAGES, { key: user.key });
        expect(listed.status).toBe(200);
        expect((listed.body as { text: string }[]).map((message) => message.text).sort()).toEqual(
          [...sent].sort(),
        );
      }
    }

    /**
     * Starts the attack, and the users once the address is blocked (the first 429), so that every
     * request of theirs meets the block. Each user keeps to one replica when `replicasFor` says so.
     */
    async function attackWhileUsersWork(
      replicas: TestApp[],
      users: TestUser[],
      replicasFor: (user: number) => TestApp[],
    ): Promise<void> {
      let blocked!: () => void;
      const block = new Promise<void>((resolve) => (blocked = resolve));
      // Everything runs to its end before a failure is reported, so that none of it outlives the test.
      const [attacked, ...used] = await Promise.allSettled([
        attack(replicas, () => blocked()).finally(() => blocked()),
        ...users.map((user, index) => block.then(() => use(replicasFor(index), user))),
      ]);
      for (const outcome of used) {
        if (outcome.status === 'rejected') {
          throw outcome.reason;
        }
      }
      if (attacked.status === 'rejected') {
        throw attacked.reason;
      }
      const answers = attacked.value;

      // 403 until the address is past its 20 failed authentications, 429 after.
      expect(answers.filter((answer) => answer.status === 403)).toHaveLength(20);
      expect(answers.filter((answer) => answer.status === 429)).toHaveLength(WRONG_KEYS - 20);
      for (const answer of answers) {
        if (answer.status === 403) {
          expect(answer.body).toEqual({ detail: 'Invalid or missing API key' });
        } else {
          expectThrottled(answer, FAILURES);
        }
      }
    }

    it('in process memory: every user’s request succeeds, the wrong keys get 403 then 429', async () => {
      const testApp = await startTestApp(database(), { AUTH_FAILURES_PER_MINUTE: '20' });
      try {
        const users: TestUser[] = [];
        for (let user = 0; user < USERS; user += 1) {
          users.push(await createUser(testApp));
        }
        await attackWhileUsersWork([testApp], users, () => [testApp]);
        // Still blocked for wrong keys afterwards, and the users' messages are all there.
        expectThrottled(await testApp.api.get(MESSAGES, { key: WRONG_KEY }), FAILURES);
        const [{ count }] = await testApp.dataSource.query<{ count: string | number }[]>(
          'SELECT COUNT(*) AS "count" FROM "message"',
        );
        expect(Number(count)).toBe(USERS * ROUNDS);
      } finally {
        await testApp.close();
      }
    });

    it('with two replicas counting in Redis: every user’s request succeeds, the wrong keys get 403 then 429', async () => {
      const env = {
        AUTH_FAILURES_PER_MINUTE: '20',
        REDIS_URL,
        REDIS_KEY_PREFIX: `monitor-test-${randomBytes(6).toString('hex')}:`,
      };
      // On PostgreSQL the replicas share the database; on SQLite each has a file of its own and
      // the users are copied to the second one.
      const shared = name === 'postgres';
      const first = await startTestApp(database(), env);
      const second = await startTestApp(shared ? first.database : database(), env);
      const redis = new Redis(REDIS_URL);
      try {
        const users: TestUser[] = [];
        for (let user = 0; user < USERS; user += 1) {
          users.push(await createUser(first));
          if (!shared) {
            await copyUser(first, second, users[user].id);
          }
        }
        await attackWhileUsersWork([first, second], users, (user) =>
          shared ? [first, second] : [[first, second][user % 2]],
        );
        for (const replica of [first, second]) {
          expectThrottled(await replica.api.get(MESSAGES, { key: WRONG_KEY }), FAILURES);
        }
        expect(await redis.keys(`${env.REDIS_KEY_PREFIX}*auth-failure:*`)).not.toEqual([]);
      } finally {
        const keys = await redis.keys(`${env.REDIS_KEY_PREFIX}*`);
        if (keys.length > 0) {
          await redis.del(...keys);
        }
        redis.disconnect();
        await second.close();
        await first.close();
      }
    });
  });
}
