/**
 * An ExportTraceServiceRequest read into plain spans, from either of OTLP/HTTP's encodings:
 * protobuf (decoded by protobufjs, ids as bytes, 64-bit numbers as decimal text) or OTLP/JSON
 * (ids as hex text, enums as integers, 64-bit numbers as text or numbers). A body whose shape is
 * not a request is an OtlpDecodeError (400); a span that is a span but unusable is kept with the
 * reason it is refused, so that the rest of the batch goes on.
 */
export interface OtlpSpan {
  /** 32 lower-case hex digits. */
  traceId: string;
  /** 16 lower-case hex digits. */
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  startNanos: bigint;
  endNanos: bigint;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  statusCode: number;
  statusMessage: string;
}

export interface ReadSpans {
  spans: OtlpSpan[];
  /** Spans refused outright, each with why. */
  refused: string[];
}

export type IdEncoding = 'bytes' | 'hex';

/** Nesting of attribute values (arrays, key-value lists) kept; deeper values are stored as null. */
const MAX_VALUE_DEPTH = 16;

export class OtlpDecodeError extends Error {}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown, what: string): unknown[] {
  if (value === undefined || value === null) {
    return [];
  }
  if (!Array.isArray(value)) {
    throw new OtlpDecodeError(`${what} must be a list`);
  }
  return value;
}

function object(value: unknown, what: string): Json {
  if (value === undefined || value === null) {
    return {};
  }
  if (!isObject(value)) {
    throw new OtlpDecodeError(`${what} must be an object`);
  }
  return value;
}

/** Reads the request; throws OtlpDecodeError when it is not shaped like one. */
export function readExportRequest(body: unknown, ids: IdEncoding): ReadSpans {
  const spans: OtlpSpan[] = [];
  const refused: string[] = [];
  for (const resourceSpans of list(object(body, 'The body').resourceSpans, 'resourceSpans')) {
    const entry = object(resourceSpans, 'A resourceSpans entry');
    const resource = attributesOf(object(entry.resource, 'resource').attributes);
    for (const scopeSpans of list(entry.scopeSpans, 'scopeSpans')) {
      for (const span of list(object(scopeSpans, 'A scopeSpans entry').spans, 'spans')) {
        const read = readSpan(object(span, 'A span'), resource, ids);
        if (typeof read === 'string') {
          refused.push(read);
        } else {
          spans.push(read);
        }
      }
    }
  }
  return { spans, refused };
}

function readSpan(
  span: Json,
  resource: Record<string, unknown>,
  ids: IdEncoding,
): OtlpSpan | string {
  const traceId = idOf(span.traceId, 16, ids);
  const spanId = idOf(span.spanId, 8, ids);
  if (traceId === null || /^0+$/.test(traceId)) {
    return 'a span without a valid trace id (16 bytes, not all zero)';
  }
  if (spanId === null || /^0+$/.test(spanId)) {
    return 'a span without a valid span id (8 bytes, not all zero)';
  }
  const parent = idOf(span.parentSpanId, 8, ids);
  const startNanos = nanosOf(span.startTimeUnixNano);
  const endNanos = nanosOf(span.endTimeUnixNano);
  if (startNanos === null || startNanos === 0n || endNanos === null) {
    return 'a span without a valid start time';
  }
  const status = object(span.status, 'status');
  return {
    traceId,
    spanId,
    parentSpanId: parent === null || /^0+$/.test(parent) ? null : parent,
    name: typeof span.name === 'string' ? span.name : '',
    kind: integerOf(span.kind),
    startNanos,
    endNanos,
    attributes: attributesOf(span.attributes),
    resource,
    events: list(span.events, 'events').map((event) => {
      const fields = object(event, 'An event');
      return {
        name: typeof fields.name === 'string' ? fields.name : '',
        attributes: attributesOf(fields.attributes),
      };
    }),
    statusCode: integerOf(status.code),
    statusMessage: typeof status.message === 'string' ? status.message : '',
  };
}

const STATUS_CODES: Record<string, number> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};
const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};

/** An enum: an integer (as OTLP/JSON writes it), or its name (as some JSON writers do). */
function integerOf(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value)) {
    return value;
  }
  if (typeof value === 'string') {
    return STATUS_CODES[value] ?? SPAN_KINDS[value] ?? 0;
  }
  return 0;
}

/** The id as lower-case hex, or null when missing or of the wrong length. */
function idOf(value: unknown, length: number, ids: IdEncoding): string | null {
  if (value === undefined || value === null || value === '') {
    return null;
  }
  if (ids === 'bytes') {
    if (!(value instanceof Uint8Array) || value.length !== length) {
      return null;
    }
    return Buffer.from(value).toString('hex');
  }
  if (typeof value !== 'string' || !new RegExp(`^[0-9a-fA-F]{${length * 2}}$`).test(value)) {
    return null;
  }
  return value.toLowerCase();
}

/** Unix nanoseconds (a fixed64: decimal text or a number); 0 when missing; null when unreadable. */
function nanosOf(value: unknown): bigint | null {
  if (value === undefined || value === null) {
    return 0n;
  }
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
    return BigInt(value);
  }
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) {
    return BigInt(value);
  }
  return null;
}

/** KeyValue list -> object; the first of repeated keys wins. */
function attributesOf(value: unknown, depth = 0): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const item of list(value, 'attributes')) {
    if (!isObject(item) || typeof item.key !== 'string') {
      throw new OtlpDecodeError('An attribute must be an object with a key');
    }
    if (!Object.prototype.hasOwnProperty.call(attributes, item.key)) {
      attributes[item.key] = anyValueOf(item.value, depth + 1);
    }
  }
  return attributes;
}

/** AnyValue -> a JSON value. Integers beyond 2^53 stay text; bytes become base64. */
function anyValueOf(value: unknown, depth: number): unknown {
  if (!isObject(value) || depth > MAX_VALUE_DEPTH) {
    return null;
  }
  if (typeof value.stringValue === 'string') {
    return value.stringValue;
  }
  if (typeof value.boolValue === 'boolean') {
    return value.boolValue;
  }
  const { intValue, doubleValue } = value;
  if (typeof intValue === 'string' || typeof intValue === 'number') {
    const number = Number(intValue);
    return Number.isSafeInteger(number) ? number : String(intValue);
  }
  if (typeof doubleValue === 'number') {
    return doubleValue;
  }
  if (typeof doubleValue === 'string') {
    // OTLP/JSON writes the non-finite doubles as "NaN", "Infinity", "-Infinity": kept as text.
    const number = Number(doubleValue);
    return Number.isFinite(number) ? number : doubleValue;
  }
  if (isObject(value.arrayValue)) {
    return list(value.arrayValue.values, 'arrayValue').map((item) => anyValueOf(item, depth + 1));
  }
  if (isObject(value.kvlistValue)) {
    return attributesOf(value.kvlistValue.values, depth);
  }
  if (value.bytesValue instanceof Uint8Array) {
    return Buffer.from(value.bytesValue).toString('base64');
  }
  if (typeof value.bytesValue === 'string') {
    return value.bytesValue;
  }
  return null;
}
