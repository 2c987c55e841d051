/** The values Langflow's trace model allows (services/database/models/traces/model.py). */
export const TRACE_STATUSES = ['unset', 'ok', 'error'] as const;
export const SPAN_TYPES = [
  'chain',
  'llm',
  'tool',
  'retriever',
  'embedding',
  'parser',
  'agent',
] as const;
export const SPAN_KINDS = ['INTERNAL', 'CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'] as const;

/** PostgreSQL's integer: the largest latency (about 24 days) or token count stored. */
export const MAX_STORED_INTEGER = 2_147_483_647;

/** Bounds of one POST (README, "Hostile input"). */
export const MAX_TRACE_BATCH = 1000;
export const MAX_SPANS_PER_TRACE = 1000;
/** Validating a span costs about a quarter of a millisecond of CPU: this bounds a request's. */
export const MAX_SPANS_PER_REQUEST = 5000;
/** Nesting of spans through parent_span_id: the answer's tree is twice as deep in JSON. */
export const MAX_SPAN_DEPTH = 64;
