import { randomUUID } from 'node:crypto';
import { TestApp } from '../support/test-app';

export interface MessageInput {
  flow_id: string;
  session_id: string;
  sender: string;
  sender_name: string;
  text: string;
  [field: string]: unknown;
}

/** A valid message body; override any field. */
export function messageInput(overrides: Partial<MessageInput> = {}): MessageInput {
  return {
    flow_id: randomUUID(),
    session_id: 'session-1',
    sender: 'User',
    sender_name: 'User',
    text: 'hello',
    ...overrides,
  };
}

/**
 * Ingests `count` messages of one session through the API, with distinct increasing timestamps,
 * in batches of up to 1000. Returns the stored messages as the API answered them.
 */
export async function ingestSession(
  testApp: TestApp,
  key: string,
  options: { sessionId: string; flowId?: string; count: number; startAt?: number },
): Promise<any[]> {
  const flowId = options.flowId ?? randomUUID();
  const start = options.startAt ?? Date.UTC(2026, 0, 1);
  const stored: any[] = [];
  for (let offset = 0; offset < options.count; offset += 1000) {
    const batch = Array.from({ length: Math.min(1000, options.count - offset) }, (_, index) =>
      messageInput({
        flow_id: flowId,
        session_id: options.sessionId,
        text: `message ${offset + index}`,
        timestamp: new Date(start + (offset + index) * 1000).toISOString(),
      }),
    );
    const response = await testApp.api.post('/api/v1/monitor/messages', { key, body: batch });
    if (response.status !== 201) {
      throw new Error(`ingest failed: ${response.status} ${response.text}`);
    }
    stored.push(...response.body);
  }
  return stored;
}

/**
 * Writes `count` messages of one session straight into the database, in one statement (the API
 * takes 1,000 a request), into a new flow owned by `userId`. Message n (0-based) has the text
 * `"<n> <padding>"` and the timestamp 2026-01-01 plus n seconds, so their order is n's.
 */
export async function seedMessages(
  testApp: TestApp,
  userId: string,
  options: { sessionId: string; count: number; padding?: number },
): Promise<void> {
  const flowId = await insertFlow(testApp, userId);
  const padding = 'x'.repeat(options.padding ?? 0);
  const postgres = testApp.database.name === 'postgres';
  const columns = `"id", "flow_id", "timestamp", "sender", "sender_name", "session_id", "text"`;
  if (postgres) {
    await testApp.dataSource.query(
      `INSERT INTO "message" (${columns})
       SELECT gen_random_uuid(), $1::uuid,
              to_char(timestamp '2026-01-01' + n * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
              'User', 'User', $2, n || ' ' || $4
       FROM generate_series(0, $3::int - 1) AS n`,
      [flowId, options.sessionId, options.count, padding],
    );
  } else {
    await testApp.dataSource.query(
      `WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ? - 1)
       INSERT INTO "message" (${columns})
       SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2)
                || '-8' || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))), ?,
              strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || n || ' seconds'),
              'User', 'User', ?, n || ' ' || ?
       FROM seq`,
      [options.count, flowId, options.sessionId, padding],
    );
  }
}

/** Writes a new flow owned by `userId` straight into the database and returns its id. */
export async function insertFlow(testApp: TestApp, userId: string): Promise<string> {
  const flowId = randomUUID();
  await testApp.dataSource.query(
    testApp.database.name === 'postgres'
      ? 'INSERT INTO "flow" ("id", "user_id", "created_at") VALUES ($1, $2, $3)'
      : 'INSERT INTO "flow" ("id", "user_id", "created_at") VALUES (?, ?, ?)',
    [flowId, userId, '2026-01-01T00:00:00.000Z'],
  );
  return flowId;
}
