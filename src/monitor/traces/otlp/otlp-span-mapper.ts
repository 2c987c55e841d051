import { exceedsJsonDepth } from '../../../common/http/json-depth';
import { maskSecrets } from '../../transactions/secret-masking';
import { Span } from '../span.entity';
import { spanUsageOf } from '../span-usage';
import { MAX_STORED_INTEGER, SPAN_TYPES } from '../trace-values';
import { spanUuid, traceUuid } from './otlp-ids';
import { OtlpSpan } from './otlp-request';

/** A span as stored, with what it says about its trace. */
export interface MappedSpan {
  span: Span;
  /** The flow it names (lower-case UUID), or null. */
  flowId: string | null;
  sessionId: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Langflow names a run's root span "<flow name> - <flow id>". */
const TRACE_NAME_FLOW = / - ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

const SPAN_KIND_NAMES = ['INTERNAL', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

const GEN_AI_OPERATIONS: Record<string, string> = {
  chat: 'llm',
  text_completion: 'llm',
  generate_content: 'llm',
  embeddings: 'embedding',
  execute_tool: 'tool',
  invoke_agent: 'agent',
  create_agent: 'agent',
};

const OPENINFERENCE_KINDS: Record<string, string> = {
  LLM: 'llm',
  CHAIN: 'chain',
  TOOL: 'tool',
  RETRIEVER: 'retriever',
  RERANKER: 'retriever',
  EMBEDDING: 'embedding',
  AGENT: 'agent',
};

/** Attributes stored in their own columns, not again among the attributes. */
const IO_KEYS = ['inputs', 'outputs', 'input.value', 'output.value'];

const MAX_SESSION_ID_LENGTH = 255;
/** Deeper inputs or outputs are kept as text ({"value": ...}), as a JSON body that deep is refused. */
const MAX_IO_DEPTH = 32;

/** An OTLP span as the trace view stores it (README, "Traces": the mapping table). */
export function mapOtlpSpan(otlp: OtlpSpan): MappedSpan {
  const attributes = otlp.attributes;
  const startTime = isoOf(otlp.startNanos);
  const endTime = otlp.endNanos === 0n ? null : isoOf(otlp.endNanos);
  const exception = otlp.events.find((event) => event.name === 'exception');
  const error =
    otlp.statusCode === 2 && otlp.statusMessage !== ''
      ? otlp.statusMessage
      : exception
        ? exceptionText(exception.attributes)
        : otlp.statusCode === 2
          ? 'Error'
          : null;
  const stored: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (!IO_KEYS.includes(key)) {
      stored[key] = value;
    }
  }
  const masked = maskSecrets(stored) as Record<string, unknown>;
  const io = (value: Record<string, unknown> | null) =>
    value === null ? null : JSON.stringify(maskSecrets(value));
  const span = Object.assign(new Span(), {
    id: spanUuid(otlp.traceId, otlp.spanId),
    traceId: traceUuid(otlp.traceId),
    parentSpanId: otlp.parentSpanId === null ? null : spanUuid(otlp.traceId, otlp.parentSpanId),
    name: otlp.name,
    spanType: spanTypeOf(attributes),
    // Langflow's exporter leaves every status unset and records failures as exception events:
    // an exported span has ended, so it is ok unless something says it failed.
    status: error !== null ? 'error' : 'ok',
    startTime,
    endTime,
    latencyMs:
      endTime === null
        ? 0
        : Math.max(
            0,
            Math.min(Number((otlp.endNanos - otlp.startNanos) / 1_000_000n), MAX_STORED_INTEGER),
          ),
    inputs: io(ioOf(attributes.inputs, attributes['input.value'])),
    outputs: io(ioOf(attributes.outputs, attributes['output.value'])),
    error,
    spanKind: SPAN_KIND_NAMES[otlp.kind] ?? 'INTERNAL',
    attributes: JSON.stringify(masked),
    ...spanUsageOf(attributes),
  });
  return {
    span,
    flowId: flowIdOf(otlp),
    sessionId: sessionIdOf(attributes),
  };
}

/** Nanoseconds -> ISO 8601 with milliseconds, within what the columns hold (years 1970 to 9999). */
function isoOf(nanos: bigint): string {
  const millis = Number(nanos / 1_000_000n);
  return new Date(Math.min(millis, 253_402_300_799_999)).toISOString();
}

function flowIdOf(otlp: OtlpSpan): string | null {
  const attributes = otlp.attributes;
  const direct = attributes['langflow.flow_id'];
  if (typeof direct === 'string' && UUID.test(direct)) {
    return direct.toLowerCase();
  }
  const names = [attributes['langflow.trace_name'], otlp.parentSpanId === null ? otlp.name : null];
  for (const name of names) {
    const match = typeof name === 'string' ? TRACE_NAME_FLOW.exec(name) : null;
    if (match) {
      return match[1].toLowerCase();
    }
  }
  const resource = otlp.resource['monitor.flow_id'];
  return typeof resource === 'string' && UUID.test(resource) ? resource.toLowerCase() : null;
}

function sessionIdOf(attributes: Record<string, unknown>): string | null {
  for (const key of ['langflow.session_id', 'session.id', 'gen_ai.conversation.id']) {
    const value = attributes[key];
    if (typeof value === 'string' && value !== '') {
      return value.slice(0, MAX_SESSION_ID_LENGTH);
    }
  }
  return null;
}

function spanTypeOf(attributes: Record<string, unknown>): string {
  for (const key of ['trace_type', 'langflow.trace_type']) {
    const value = attributes[key];
    if (typeof value === 'string' && (SPAN_TYPES as readonly string[]).includes(value)) {
      return value;
    }
  }
  const operation = attributes['gen_ai.operation.name'];
  if (typeof operation === 'string' && GEN_AI_OPERATIONS[operation]) {
    return GEN_AI_OPERATIONS[operation];
  }
  const kind = attributes['openinference.span.kind'];
  if (typeof kind === 'string' && OPENINFERENCE_KINDS[kind.toUpperCase()]) {
    return OPENINFERENCE_KINDS[kind.toUpperCase()];
  }
  return 'chain';
}

/**
 * Langflow's `inputs`/`outputs` (JSON text of an object), else OpenInference's `input.value` /
 * `output.value` (JSON text of an object, or any text, kept as {"value": text}).
 */
function ioOf(langflow: unknown, openInference: unknown): Record<string, unknown> | null {
  const fromLangflow = jsonObject(langflow);
  if (fromLangflow !== null) {
    return fromLangflow;
  }
  if (typeof openInference === 'string') {
    return jsonObject(openInference) ?? { value: openInference };
  }
  return null;
}

function jsonObject(value: unknown): Record<string, unknown> | null {
  if (typeof value !== 'string' || exceedsJsonDepth(Buffer.from(value), MAX_IO_DEPTH)) {
    return null;
  }
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** "<exception.type>: <exception.message>", as Python prints an exception. */
function exceptionText(attributes: Record<string, unknown>): string {
  const type = typeof attributes['exception.type'] === 'string' ? attributes['exception.type'] : '';
  const message =
    typeof attributes['exception.message'] === 'string' ? attributes['exception.message'] : '';
  if (type !== '' && message !== '') {
    return `${type}: ${message}`;
  }
  return type || message || 'exception';
}
