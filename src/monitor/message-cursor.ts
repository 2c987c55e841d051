import { isUUID } from 'class-validator';
import { codePointLength, normalizeTimestamp } from '../common/validation/fields';
import { RequestValidationError } from '../common/validation/request-validation.error';
import { MAX_PAGE_SIZE } from './dto/list-messages.query.dto';
import { MessageOrderColumn, SortOrder } from './dto/message-filters.query.dto';

/**
 * Where a page ended, as the values of its last message's sort keys, plus the ordering and page
 * size they belong to. Opaque to callers: base64url of a small JSON document.
 */
export interface MessageCursor {
  orderBy: MessageOrderColumn;
  order: SortOrder;
  limit: number;
  after: string[];
}

/** The sort keys of an ordering, in the API's column names: the column, then timestamp, then id. */
export function sortKeys(orderBy: MessageOrderColumn): MessageOrderColumn[] {
  if (orderBy === 'id') {
    return ['id'];
  }
  if (orderBy === 'timestamp') {
    return ['timestamp', 'id'];
  }
  return [orderBy, 'timestamp', 'id'];
}

export function encodeCursor(cursor: MessageCursor): string {
  const document = { v: 1, o: cursor.orderBy, d: cursor.order, l: cursor.limit, k: cursor.after };
  return Buffer.from(JSON.stringify(document), 'utf8').toString('base64url');
}

/**
 * Reads a cursor given back by a caller. A cursor that is not one of ours, or that was made for
 * another ordering than the request's, is a 422 on `cursor`.
 */
export function decodeCursor(
  text: string,
  expected: { orderBy: MessageOrderColumn; order: SortOrder },
): MessageCursor {
  const invalid = (why: string) =>
    new RequestValidationError([
      { type: 'value_error', loc: ['query', 'cursor'], msg: `Value error, ${why}`, input: text },
    ]);
  let document: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(text)) {
      throw new Error('not base64url');
    }
    document = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not a cursor this service made');
  }
  const { v, o, d, l, k } = (document ?? {}) as Record<string, unknown>;
  const keys = typeof o === 'string' ? sortKeys(o as MessageOrderColumn) : [];
  const wellFormed =
    v === 1 &&
    (d === 'asc' || d === 'desc') &&
    Number.isInteger(l) &&
    (l as number) >= 1 &&
    (l as number) <= MAX_PAGE_SIZE &&
    Array.isArray(k) &&
    k.length === keys.length &&
    keys.length > 0 &&
    k.every((value, index) => isKeyValue(keys[index], value));
  if (!wellFormed) {
    throw invalid('not a cursor this service made');
  }
  if (o !== expected.orderBy || d !== expected.order) {
    throw invalid(`the cursor was made for order_by=${o as string}&order=${d}`);
  }
  return { orderBy: o as MessageOrderColumn, order: d, limit: l as number, after: k as string[] };
}

/** A value the key's column can hold: a tampered cursor must not reach the database as a 500. */
function isKeyValue(key: MessageOrderColumn, value: unknown): boolean {
  if (typeof value !== 'string') {
    return false;
  }
  if (key === 'id' || key === 'flow_id') {
    return isUUID(value, 'all');
  }
  if (key === 'timestamp') {
    return normalizeTimestamp(value) === value;
  }
  // The same length rule as the fields' validation (emoji count once), so any stored value fits.
  return codePointLength(value) <= 255 && !value.includes('\u0000');
}
