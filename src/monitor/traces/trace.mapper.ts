import { Span } from './span.entity';
import { Trace } from './trace.entity';

/*
 * Langflow's trace wire (camelCase), made from stored rows: the summary of the list, the trace
 * with its span tree, and the rules that derive a trace's `input`, `output` and `totalTokens`
 * from its spans (Langflow's services/tracing/formatting.py). JSON columns are embedded as stored.
 */

/** The span fields the list's input and output are derived from. */
export type SpanIo = Pick<
  Span,
  'id' | 'name' | 'parentSpanId' | 'startTime' | 'endTime' | 'inputs' | 'outputs'
>;

/** The span fields the token total is derived from. */
export type SpanTokens = Pick<Span, 'id' | 'parentSpanId' | 'totalTokens'>;

/** A trace's input and output, each JSON text or null. */
export interface TraceIo {
  input: string | null;
  output: string | null;
}

/** Langflow's tracer names the span of the user's message so. */
const CHAT_INPUT_SPAN_NAME = 'Chat Input';

const text = JSON.stringify;
const orNull = (value: string | null) => (value === null ? 'null' : text(value));

/** Spans by start time, ties by id: the order of every level of the tree. */
export function byStart<T extends Pick<Span, 'id' | 'startTime'>>(a: T, b: T): number {
  if (a.startTime !== b.startTime) {
    return a.startTime < b.startTime ? -1 : 1;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Python's truth of a JSON value, which Langflow's rules test. */
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) {
    return value.length > 0;
  }
  if (value !== null && typeof value === 'object') {
    return Object.keys(value).length > 0;
  }
  return value !== null && value !== undefined && value !== false && value !== 0 && value !== '';
}

function parseObject(json: string | null): Record<string, unknown> | null {
  if (json === null) {
    return null;
  }
  const value: unknown = JSON.parse(json);
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/**
 * `input`: `{"input_value": ...}` from the first span (by start) whose name contains
 * "Chat Input", when that value is there and not empty; `output`: the `outputs` of the root span
 * that ended last, when not empty. Either is null otherwise.
 */
export function traceIo(spans: SpanIo[]): TraceIo {
  const sorted = [...spans].sort(byStart);
  const chatInput = sorted.find((span) => span.name.includes(CHAT_INPUT_SPAN_NAME));
  const inputValue = parseObject(chatInput?.inputs ?? null)?.input_value;
  let lastRoot: SpanIo | undefined;
  for (const span of sorted) {
    if (
      span.parentSpanId === null &&
      span.endTime !== null &&
      (lastRoot === undefined || span.endTime > (lastRoot.endTime as string))
    ) {
      lastRoot = span;
    }
  }
  return {
    input: truthy(inputValue) ? `{"input_value":${text(inputValue)}}` : null,
    output: lastRoot && truthy(parseObject(lastRoot.outputs)) ? lastRoot.outputs : null,
  };
}

/** The tokens of the leaf spans (those no span names as parent), so nested calls count once. */
export function leafTokens(spans: SpanTokens[]): number {
  const parents = new Set(spans.map((span) => span.parentSpanId));
  return spans.reduce(
    (sum, span) => (parents.has(span.id) ? sum : sum + (span.totalTokens ?? 0)),
    0,
  );
}

/** The trace's total: its leaves' sum, or the stored total when the leaves name none. */
export function effectiveTokens(leafSum: number, trace: Pick<Trace, 'totalTokens'>): number {
  return leafSum > 0 ? leafSum : trace.totalTokens;
}

/** The fields of a summary, in Langflow's order, without the closing brace. */
function summaryFields(trace: Trace, io: TraceIo, totalTokens: number, detail: boolean): string {
  return (
    `{"id":${text(trace.id)}` +
    `,"name":${text(trace.name)}` +
    `,"status":${text(trace.status)}` +
    `,"startTime":${text(trace.startTime)}` +
    (detail ? `,"endTime":${orNull(trace.endTime)}` : '') +
    `,"totalLatencyMs":${trace.totalLatencyMs}` +
    `,"totalTokens":${totalTokens}` +
    `,"flowId":${text(trace.flowId)}` +
    // Langflow groups a trace without a session as a session of its own.
    `,"sessionId":${text(trace.sessionId ?? trace.id)}` +
    `,"input":${io.input ?? 'null'}` +
    `,"output":${io.output ?? 'null'}`
  );
}

/** One trace of the list. */
export function serializeTraceSummary(trace: Trace, io: TraceIo, totalTokens: number): string {
  return `${summaryFields(trace, io, totalTokens, false)}}`;
}

/** The list's document around already serialized summaries. */
export function serializeTraceList(items: string[], total: number, size: number): string {
  const pages = total === 0 ? 0 : Math.ceil(total / size);
  return `{"traces":[${items.join(',')}],"total":${total},"pages":${pages}}`;
}

/** A trace with its span tree (`spans` in any order). */
export function serializeTraceDetail(trace: Trace, spans: Span[]): string {
  const sorted = [...spans].sort(byStart);
  const io = traceIo(sorted);
  const totalTokens = effectiveTokens(leafTokens(sorted), trace);
  return (
    `${summaryFields(trace, io, totalTokens, true)}` +
    `,"spans":[${spanTree(sorted).map(serializeNode).join(',')}]}`
  );
}

interface SpanNode {
  span: Span;
  children: SpanNode[];
}

/**
 * The spans as a forest: a span under its parent, or a root when it has none or its parent is
 * not among them. `sorted` is in start order, so each level is too. A cycle of parents (which
 * nothing stored here makes, but another writer might) is unreachable from the roots and left out.
 */
function spanTree(sorted: Span[]): SpanNode[] {
  const nodes = new Map(sorted.map((span) => [span.id, { span, children: [] as SpanNode[] }]));
  const roots: SpanNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.span.parentSpanId === null ? undefined : nodes.get(node.span.parentSpanId);
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}

function tokenUsage(span: Span): string {
  if (span.promptTokens === null && span.completionTokens === null && span.totalTokens === null) {
    return 'null';
  }
  return (
    `{"promptTokens":${span.promptTokens ?? 0}` +
    `,"completionTokens":${span.completionTokens ?? 0}` +
    `,"totalTokens":${span.totalTokens ?? 0}}`
  );
}

function serializeNode(node: SpanNode): string {
  const span = node.span;
  return (
    `{"id":${text(span.id)}` +
    `,"name":${text(span.name)}` +
    `,"type":${text(span.spanType)}` +
    `,"status":${text(span.status)}` +
    `,"startTime":${text(span.startTime)}` +
    `,"endTime":${orNull(span.endTime)}` +
    `,"latencyMs":${span.latencyMs}` +
    `,"inputs":${span.inputs ?? 'null'}` +
    `,"outputs":${span.outputs ?? 'null'}` +
    `,"error":${orNull(span.error)}` +
    `,"modelName":${orNull(span.modelName)}` +
    `,"tokenUsage":${tokenUsage(span)}` +
    `,"children":[${node.children.map(serializeNode).join(',')}]}`
  );
}
