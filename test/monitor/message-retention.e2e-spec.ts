import { randomUUID } from 'node:crypto';
import { messageInput } from '../factories/messages';
import { createUser } from '../factories/users';
import { testDatabases } from '../support/databases';
import { startTestApp, TestApp } from '../support/test-app';
import { MessageRetentionService } from '../../src/monitor/retention/message-retention.service';

const MESSAGES = '/api/v1/monitor/messages';
const DAY = 24 * 60 * 60 * 1000;

for (const database of testDatabases()) {
  describe(`MESSAGE_RETENTION_DAYS [${database.name}]`, () => {
    let testApp: TestApp;
    beforeAll(async () => {
      testApp = await startTestApp(database, {
        MESSAGE_RETENTION_DAYS: '30',
        // Far off: these tests call the sweep themselves, at a `now` of their choosing.
        MESSAGE_RETENTION_INTERVAL_SECONDS: '3600',
      });
    });
    afterAll(async () => {
      await testApp.close();
    });

    async function texts(): Promise<string[]> {
      const rows = await testApp.dataSource.query<{ text: string }[]>(
        'SELECT "text" FROM "message" ORDER BY "text"',
      );
      return rows.map((row) => row.text);
    }

    async function seed(now: number): Promise<void> {
      const alice = await createUser(testApp);
      const bob = await createUser(testApp);
      const at = (days: number) => new Date(now - days * DAY).toISOString();
      for (const [user, prefix] of [
        [alice, 'alice'],
        [bob, 'bob'],
      ] as const) {
        const flowId = randomUUID();
        const response = await testApp.api.post(MESSAGES, {
          key: user.key,
          body: [
            messageInput({ flow_id: flowId, text: `${prefix} 31 days`, timestamp: at(31) }),
            messageInput({ flow_id: flowId, text: `${prefix} 400 days`, timestamp: at(400) }),
            messageInput({ flow_id: flowId, text: `${prefix} 29 days`, timestamp: at(29) }),
            messageInput({ flow_id: flowId, text: `${prefix} today`, timestamp: at(0) }),
          ],
        });
        expect(response.status).toBe(201);
      }
    }

    it('removes every message older than the period, and only those', async () => {
      await testApp.reset();
      const now = Date.UTC(2026, 10, 24, 12);
      await seed(now);

      const removed = await testApp.app.get(MessageRetentionService).sweep(new Date(now));

      expect(removed).toBe(4);
      expect(await texts()).toEqual(['alice 29 days', 'alice today', 'bob 29 days', 'bob today']);
      expect(await testApp.app.get(MessageRetentionService).sweep(new Date(now))).toBe(0);
    });

    it('sweeps more than one batch', async () => {
      await testApp.reset();
      const alice = await createUser(testApp);
      const flowId = randomUUID();
      const now = Date.UTC(2026, 10, 24, 12);
      for (let batch = 0; batch < 3; batch += 1) {
        const body = Array.from({ length: 1000 }, (_, i) =>
          messageInput({
            flow_id: flowId,
            text: 'old',
            timestamp: new Date(now - 40 * DAY - (batch * 1000 + i) * 1000).toISOString(),
          }),
        );
        expect((await testApp.api.post(MESSAGES, { key: alice.key, body })).status).toBe(201);
      }
      await testApp.api.post(MESSAGES, {
        key: alice.key,
        body: [
          messageInput({ flow_id: flowId, text: 'new', timestamp: new Date(now).toISOString() }),
        ],
      });

      expect(await testApp.app.get(MessageRetentionService).sweep(new Date(now))).toBe(3000);
      expect(await texts()).toEqual(['new']);
    });
  });
}

describe('the message retention timer', () => {
  it('runs by itself, off the request path', async () => {
    const [database] = testDatabases();
    const testApp = await startTestApp(database, {
      MESSAGE_RETENTION_DAYS: '30',
      MESSAGE_RETENTION_INTERVAL_SECONDS: '1',
    });
    const texts = async () =>
      (
        await testApp.dataSource.query<{ text: string }[]>(
          'SELECT "text" FROM "message" ORDER BY "text"',
        )
      ).map((row) => row.text);
    try {
      const alice = await createUser(testApp);
      const now = Date.now();
      const response = await testApp.api.post(MESSAGES, {
        key: alice.key,
        body: [
          messageInput({ text: 'old', timestamp: new Date(now - 31 * DAY).toISOString() }),
          messageInput({ text: 'recent', timestamp: new Date(now - 29 * DAY).toISOString() }),
        ],
      });
      expect(response.status).toBe(201);

      // The interval is one second here; give it a few.
      const deadline = Date.now() + 8000;
      while ((await texts()).length > 1 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }

      expect(await texts()).toEqual(['recent']);
    } finally {
      await testApp.close();
    }
  });
});

describe('without MESSAGE_RETENTION_DAYS', () => {
  it('keeps messages for ever', async () => {
    const [database] = testDatabases();
    const testApp = await startTestApp(database);
    try {
      const alice = await createUser(testApp);
      await testApp.api.post(MESSAGES, {
        key: alice.key,
        body: [messageInput({ timestamp: '2001-01-01T00:00:00.000Z' })],
      });

      expect(await testApp.app.get(MessageRetentionService).sweep()).toBe(0);
      const [row] = await testApp.dataSource.query<{ count: string | number }[]>(
        'SELECT COUNT(*) AS "count" FROM "message"',
      );
      expect(Number(row.count)).toBe(1);
    } finally {
      await testApp.close();
    }
  });
});
