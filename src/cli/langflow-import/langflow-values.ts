import { codePointLength, normalizeTimestamp } from '../../common/validation/fields';
import { hasControlCharacter } from '../../common/validation/control-characters';

/*
 * How Langflow's stored values read as this service's. Langflow (SQLAlchemy/SQLModel) keeps UUIDs
 * on SQLite as 32 hex digits without hyphens, timestamps without a zone (UTC), booleans as 0/1
 * there, and JSON columns as text on SQLite (on PostgreSQL as json, read here as text too);
 * `files` may even be a JSON string holding the JSON list.
 */

const HEX_UUID = /^[0-9a-f]{32}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID in the lowercase hyphenated form; undefined when the value is not one. */
export function uuidOf(value: unknown): string | undefined {
  if (typeof value !== 'string') {
    return undefined;
  }
  const hex = value.replace(/-/g, '');
  if (UUID.test(value) || HEX_UUID.test(value)) {
    const h = hex.toLowerCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return undefined;
}

/** A stored timestamp (naive means UTC) as RFC 3339 UTC with milliseconds; undefined if unreadable. */
export function timestampOf(value: unknown): string | undefined {
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  }
  if (typeof value !== 'string') {
    return undefined;
  }
  const text = value.trim().replace(' ', 'T');
  // Postgres writes a zone as "+00" (no minutes); RFC 3339 wants "+00:00".
  const zoned = text.replace(/([+-]\d{2})$/, '$1:00');
  return normalizeTimestamp(zoned) ?? undefined;
}

export function booleanOf(value: unknown, fallback: boolean): boolean {
  if (value === null || value === undefined) {
    return fallback;
  }
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true';
}

/** A JSON column's value, parsed (twice if it was JSON text inside JSON); undefined if it is not JSON. */
export function jsonOf(value: unknown): unknown {
  let current = value;
  for (let depth = 0; depth < 2 && typeof current === 'string'; depth += 1) {
    try {
      current = JSON.parse(current);
    } catch {
      return depth === 0 ? undefined : current;
    }
  }
  return current;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string the service's fields accept: at most `max` characters, no NUL (nor control characters). */
export function fieldText(
  value: unknown,
  options: { max?: number; min?: number; noControl?: boolean } = {},
): string | undefined {
  if (typeof value !== 'string' || value.includes('\u0000')) {
    return undefined;
  }
  const length = codePointLength(value);
  if (length < (options.min ?? 0) || (options.max !== undefined && length > options.max)) {
    return undefined;
  }
  if (options.noControl && hasControlCharacter(value)) {
    return undefined;
  }
  return value;
}

/**
 * A finite number; undefined otherwise. Drivers give a float column as a number, but PostgreSQL's
 * numeric (or a value written as text into SQLite) comes as its decimal text.
 */
export function finiteNumberOf(value: unknown): number | undefined {
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)
        ? Number(value)
        : NaN;
  return Number.isFinite(number) ? number : undefined;
}

/** Null for a missing value; otherwise what `read` makes of it (undefined: not acceptable). */
export function orNull<T>(
  value: unknown,
  read: (value: unknown) => T | undefined,
): T | null | undefined {
  return value === null || value === undefined ? null : read(value);
}

/** A JSON object column as the text this service stores (after `transform`), or null. */
export function objectText(
  value: unknown,
  transform: (object: Record<string, unknown>) => unknown = (object) => object,
): string | null | undefined {
  const parsed = orNull(value, jsonOf);
  if (parsed === null || parsed === undefined) {
    return parsed === undefined ? undefined : null;
  }
  return isPlainObject(parsed) ? JSON.stringify(transform(parsed)) : undefined;
}
