/**
 * How much of the run logs to keep. Langflow's setting names, as environment variables; the caps
 * apply per flow (Langflow's build cap is table-wide, so one busy flow evicted everyone's builds).
 */
export interface RetentionConfig {
  /** Transactions kept per flow, newest first (MAX_TRANSACTIONS_TO_KEEP). */
  maxTransactionsToKeep: number;
  /** Traces kept per flow, newest start first (MAX_TRACES_TO_KEEP); their spans go with them. */
  maxTracesToKeep: number;
  /** Builds kept per (flow, vertex) (MAX_VERTEX_BUILDS_PER_VERTEX). */
  maxVertexBuildsPerVertex: number;
  /** Builds kept per flow (MAX_VERTEX_BUILDS_TO_KEEP). */
  maxVertexBuildsToKeep: number;
  /** Messages older than this many days are removed (MESSAGE_RETENTION_DAYS); undefined keeps them for ever. */
  messageRetentionDays: number | undefined;
  /** How often the message sweep runs (MESSAGE_RETENTION_INTERVAL_SECONDS), in milliseconds. */
  messageRetentionIntervalMs: number;
  /** How long spans received over OTLP wait for their trace's flow (OTLP_HELD_SPAN_SECONDS), in milliseconds. */
  otlpHeldSpanMs: number;
  /** How many spans received over OTLP may wait for their trace's flow at once, per user (OTLP_MAX_HELD_SPANS). */
  otlpMaxHeldSpans: number;
}

const POSITIVE_WHOLE = /^[1-9]\d{0,8}$/;

function readWholeNumber(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  problems: string[],
): number {
  const text = env[name];
  if (text === undefined || text === '') {
    return fallback;
  }
  if (!POSITIVE_WHOLE.test(text.trim())) {
    problems.push(`${name} must be a whole number from 1 to 999999999, got "${text}".`);
    return fallback;
  }
  return Number(text.trim());
}

/** Reads the retention settings; each bad value adds one sentence to `problems`. */
export function loadRetentionConfig(env: NodeJS.ProcessEnv, problems: string[]): RetentionConfig {
  const days = env.MESSAGE_RETENTION_DAYS;
  return {
    maxTransactionsToKeep: readWholeNumber(env, 'MAX_TRANSACTIONS_TO_KEEP', 3000, problems),
    maxTracesToKeep: readWholeNumber(env, 'MAX_TRACES_TO_KEEP', 3000, problems),
    maxVertexBuildsPerVertex: readWholeNumber(env, 'MAX_VERTEX_BUILDS_PER_VERTEX', 50, problems),
    maxVertexBuildsToKeep: readWholeNumber(env, 'MAX_VERTEX_BUILDS_TO_KEEP', 3000, problems),
    messageRetentionDays:
      days === undefined || days === ''
        ? undefined
        : readWholeNumber(env, 'MESSAGE_RETENTION_DAYS', 1, problems),
    messageRetentionIntervalMs:
      readWholeNumber(env, 'MESSAGE_RETENTION_INTERVAL_SECONDS', 3600, problems) * 1000,
    otlpHeldSpanMs: readWholeNumber(env, 'OTLP_HELD_SPAN_SECONDS', 600, problems) * 1000,
    otlpMaxHeldSpans: readWholeNumber(env, 'OTLP_MAX_HELD_SPANS', 100_000, problems),
  };
}
