/**
 * What a span's attributes say about its LLM use: token counts and the model. Langflow's own
 * keys first (`prompt_tokens`, `completion_tokens`, `total_tokens`, `model_name`), then the
 * OpenTelemetry GenAI conventions and OpenInference's, so that spans from any of them read alike.
 */
export interface SpanUsage {
  modelName: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
}

/** The largest count stored (PostgreSQL's integer); larger or unreadable counts are left out. */
export const MAX_TOKEN_COUNT = 2_147_483_647;

const PROMPT_KEYS = ['prompt_tokens', 'gen_ai.usage.input_tokens', 'llm.token_count.prompt'];
const COMPLETION_KEYS = [
  'completion_tokens',
  'gen_ai.usage.output_tokens',
  'llm.token_count.completion',
];
const TOTAL_KEYS = ['total_tokens', 'llm.usage.total_tokens', 'llm.token_count.total'];
const MODEL_KEYS = [
  'model_name',
  'gen_ai.request.model',
  'gen_ai.response.model',
  'llm.model_name',
];

/**
 * A token count as providers write it (12, 12.0, "12", "1e3"), truncated to a whole number, as
 * Langflow's safe_int_tokens reads it; null for anything else (booleans, NaN, negative, huge).
 */
export function tokenCount(value: unknown): number | null {
  let number: number;
  if (typeof value === 'number') {
    number = value;
  } else if (typeof value === 'string' && value.trim() !== '') {
    number = Number(value.trim());
  } else {
    return null;
  }
  if (!Number.isFinite(number)) {
    return null;
  }
  const whole = Math.trunc(number);
  return whole >= 0 && whole <= MAX_TOKEN_COUNT ? whole : null;
}

function first<T>(
  attributes: Record<string, unknown>,
  keys: string[],
  read: (value: unknown) => T | null,
): T | null {
  for (const key of keys) {
    const value = read(attributes[key]);
    if (value !== null) {
      return value;
    }
  }
  return null;
}

const modelName = (value: unknown) =>
  typeof value === 'string' && value !== '' ? value.slice(0, 255) : null;

/** The usage a span's attributes state; the total defaults to prompt + completion. */
export function spanUsageOf(attributes: Record<string, unknown>): SpanUsage {
  const promptTokens = first(attributes, PROMPT_KEYS, tokenCount);
  const completionTokens = first(attributes, COMPLETION_KEYS, tokenCount);
  let totalTokens = first(attributes, TOTAL_KEYS, tokenCount);
  if (totalTokens === null && (promptTokens !== null || completionTokens !== null)) {
    totalTokens = Math.min((promptTokens ?? 0) + (completionTokens ?? 0), MAX_TOKEN_COUNT);
  }
  return {
    modelName: first(attributes, MODEL_KEYS, modelName),
    promptTokens,
    completionTokens,
    totalTokens,
  };
}
