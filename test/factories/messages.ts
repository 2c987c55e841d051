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
