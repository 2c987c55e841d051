import { randomUUID } from 'node:crypto';
import { UsersService } from '../../src/auth/users.service';
import { ingestSession } from '../factories/messages';
import { testDatabases } from '../support/databases';
import { StalledClient } from '../support/stalled-client';
import { startTestApp, TestApp } from '../support/test-app';

jest.setTimeout(180_000);

const READERS = 12;
/** Large enough that an answer overflows every socket buffer between the service and a reader. */
const MESSAGES = 6000;

/**
 * Twelve clients of one user open streamed answers (export, list, sessions, rename) and stop
 * reading. Another user's requests, and the probes, go on as if nothing happened, with a pool
 * smaller than the number of stalled readers: no answer holds a database connection, a lock or a
 * transaction at its reader's pace.
 */
for (const database of testDatabases()) {
  describe(`twelve stalled readers beside another user [${database.name}]`, () => {
    let testApp: TestApp;

    beforeAll(async () => {
      testApp = await startTestApp(database, { DATABASE_POOL_SIZE: '4' });
    });

    afterAll(async () => {
      await testApp?.close();
    });

    it('cannot make another user’s request fail or wait for the pool', async () => {
      const users = testApp.app.get(UsersService);
      const stalling = (await users.create('stalling')).apiKey.plainKey;
      const other = (await users.create('other')).apiKey.plainKey;
      const flowId = randomUUID();
      await ingestSession(testApp, stalling, { flowId, sessionId: 'big', count: MESSAGES });
      for (let index = 0; index < 3; index += 1) {
        await ingestSession(testApp, stalling, {
          flowId,
          sessionId: `rename-${index}`,
          count: 3000,
        });
      }
      const { port } = testApp.app.getHttpServer().address() as { port: number };
      const baseUrl = `http://127.0.0.1:${port}`;
      const paths = [
        `/api/v1/monitor/messages/export?flow_id=${flowId}`,
        `/api/v1/monitor/messages?flow_id=${flowId}`,
        `/api/v1/monitor/messages/sessions`,
      ];
      const readers: StalledClient[] = [];
      try {
        for (let index = 0; index < READERS - 3; index += 1) {
          readers.push(
            await StalledClient.open(baseUrl, 'GET', paths[index % paths.length], {
              'x-api-key': stalling,
            }),
          );
        }
        for (let index = 0; index < 3; index += 1) {
          readers.push(
            await StalledClient.open(
              baseUrl,
              'PATCH',
              `/api/v1/monitor/messages/session/rename-${index}?new_session_id=renamed-${index}`,
              { 'x-api-key': stalling },
            ),
          );
        }
        expect(readers.map((reader) => reader.status)).toEqual(Array(READERS).fill(200));

        // The other user, while all twelve stall.
        const otherFlow = randomUUID();
        const own = await ingestSession(testApp, other, {
          flowId: otherFlow,
          sessionId: 'mine',
          count: 20,
        });
        for (let round = 0; round < 10; round += 1) {
          const [list, rename, readiness, sessions] = await Promise.all([
            testApp.api.get('/api/v1/monitor/messages', {
              key: other,
              query: { flow_id: otherFlow },
            }),
            testApp.api.patch(`/api/v1/monitor/messages/session/${round % 2 ? 'yours' : 'mine'}`, {
              key: other,
              query: { new_session_id: round % 2 ? 'mine' : 'yours' },
            }),
            testApp.api.get('/health_check'),
            testApp.api.get('/api/v1/monitor/messages/sessions', { key: other }),
          ]);
          expect(list.status).toBe(200);
          expect(list.body).toHaveLength(own.length);
          expect(rename.status).toBe(200);
          expect(rename.body).toHaveLength(own.length);
          expect(readiness.status).toBe(200);
          expect(sessions.status).toBe(200);
        }
        // The stalled renames are committed, visible to everyone, although nobody read them.
        for (let index = 0; index < 3; index += 1) {
          const renamed = await testApp.api.get('/api/v1/monitor/messages', {
            key: stalling,
            query: { session_id: `renamed-${index}` },
          });
          expect(renamed.body).toHaveLength(3000);
        }
        if (database.name === 'postgres') {
          // No connection of the service is in a transaction or running a statement for them.
          const busy = await testApp.dataSource.query<{ state: string }[]>(
            `SELECT state FROM pg_stat_activity
             WHERE application_name = 'monitor-service' AND pid <> pg_backend_pid()
               AND datname = current_database() AND state <> 'idle'`,
          );
          expect(busy).toEqual([]);
        }

        // Each reader still gets its whole answer when it reads on.
        const export0 = await readers[0].resume();
        expect(export0.complete).toBe(true);
        expect(export0.body.trim().split('\n')).toHaveLength(MESSAGES + 9000);
        const rename0 = await readers[READERS - 3].resume();
        expect(rename0.complete).toBe(true);
        expect(JSON.parse(rename0.body)).toHaveLength(3000);
      } finally {
        for (const reader of readers) {
          reader.destroy();
        }
      }
    });
  });
}
