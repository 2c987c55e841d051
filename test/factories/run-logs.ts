import { randomUUID } from 'node:crypto';

/** A valid vertex build body; override any field (undefined leaves it out). */
export function buildInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'ChatInput-NCmix', flow_id: randomUUID(), valid: true, ...overrides };
}

/** A valid transaction body; override any field (undefined leaves it out). */
export function transactionInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    flow_id: randomUUID(),
    vertex_id: 'OpenAIModel-2kd9x',
    status: 'success',
    ...overrides,
  };
}
