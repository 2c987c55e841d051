import { createHash, randomBytes } from 'node:crypto';

/**
 * What a key looks like, unanchored: `sk-` and at least 32 URL-safe characters. The logs scrub
 * anything of this shape (src/logging/scrub-api-keys.ts).
 */
export const API_KEY_SHAPE = 'sk-[A-Za-z0-9_-]{32,}';

const API_KEY_PATTERN = new RegExp(`^${API_KEY_SHAPE}$`);

/** `sk-` followed by at least 32 URL-safe characters. */
export function isApiKeyFormat(value: string): boolean {
  return API_KEY_PATTERN.test(value);
}

/** A new key: `sk-` and 43 base64url characters carrying 256 random bits. */
export function generateApiKey(): string {
  return `sk-${randomBytes(32).toString('base64url')}`;
}

/**
 * Only this digest is stored. Keys carry 256 random bits, so a fast hash is enough: there is
 * nothing to brute-force, and lookups stay one indexed equality per request.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** What a listing shows of a key: enough to recognise it, never enough to use it. */
export function apiKeyPreview(key: string): string {
  return `${key.slice(0, 7)}…${key.slice(-4)}`;
}
