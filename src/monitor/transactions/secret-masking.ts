/*
 * What a transaction's inputs and outputs may not keep (MONITOR-ROUTES.md, after Langflow's
 * sanitize_data): secrets are masked and `code` is dropped before anything is stored, so that no
 * read can ever return them.
 */

export const REDACTED = '***REDACTED***';

const SECRET_NAMES = new Set([
  'api_key',
  'api-key',
  'apikey',
  'password',
  'passwd',
  'secret',
  'token',
  'auth_token',
  'access_token',
  'api_token',
  'bearer_token',
  'credential',
  'credentials',
  'auth',
  'authorization',
  'bearer',
  'private_key',
  'private-key',
  'access_key',
  'access-key',
  'openai_api_key',
  'anthropic_api_key',
]);

/**
 * Names ending in one of these, with or without a `_` or `-` before it (so `openai_api_key`,
 * `db-password`, `oauth`). The hyphenated spellings of the two-word endings count too, as the
 * exact names above do. `max_tokens`, `author` and `authentication_method` end otherwise.
 */
const SECRET_ENDING =
  /(api[_-]key|password|secret|token|credential|auth|bearer|private[_-]key|access[_-]key)$/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAMES.has(name.toLowerCase()) || SECRET_ENDING.test(name);
}

/** A long string keeps its first and last four characters; anything else is replaced whole. */
export function maskSecret(value: unknown): string {
  if (typeof value === 'string') {
    const characters = [...value];
    if (characters.length > 12) {
      return `${characters.slice(0, 4).join('')}...${characters.slice(-4).join('')}`;
    }
  }
  return REDACTED;
}

/** A copy of a JSON value with secrets masked and every `code` key removed, at any depth. */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(maskSecrets);
  }
  if (value !== null && typeof value === 'object') {
    const masked: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
      if (name === 'code') {
        continue;
      }
      masked[name] = isSecretName(name) ? maskSecret(item) : maskSecrets(item);
    }
    return masked;
  }
  return value;
}
