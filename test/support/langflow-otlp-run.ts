import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as path from 'node:path';
import { Attributes, HrTime, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/** 2026-11-24T13:00:00.000Z plus `ms`, as ISO text and as an OpenTelemetry time. */
export const at = (ms: number) => new Date(Date.UTC(2026, 10, 24, 13) + ms).toISOString();
const hrAt = (ms: number): HrTime => {
  const total = Date.UTC(2026, 10, 24, 13) + ms;
  return [Math.floor(total / 1000), (total % 1000) * 1_000_000];
};

export interface SpanShape {
  name: string;
  spanId: string;
  parentSpanId?: string;
  startMs: number;
  endMs: number;
  attributes?: Attributes;
  kind?: SpanKind;
  status?: { code: SpanStatusCode; message?: string };
  exception?: { type: string; message: string };
}

/** A span as the OpenTelemetry SDK hands it to its exporters. */
export function readableSpan(
  traceId: string,
  shape: SpanShape,
  resource: Attributes = {},
): ReadableSpan {
  return {
    name: shape.name,
    kind: shape.kind ?? SpanKind.INTERNAL,
    spanContext: () => ({ traceId, spanId: shape.spanId, traceFlags: 1 }),
    parentSpanContext: shape.parentSpanId
      ? { traceId, spanId: shape.parentSpanId, traceFlags: 1 }
      : undefined,
    startTime: hrAt(shape.startMs),
    endTime: hrAt(shape.endMs),
    status: shape.status ?? { code: SpanStatusCode.UNSET },
    attributes: shape.attributes ?? {},
    links: [],
    events: shape.exception
      ? [
          {
            name: 'exception',
            time: hrAt(shape.endMs),
            attributes: {
              'exception.type': shape.exception.type,
              'exception.message': shape.exception.message,
              'exception.stacktrace': 'Traceback (most recent call last): ...',
            },
          },
        ]
      : [],
    duration: [0, (shape.endMs - shape.startMs) * 1_000_000],
    ended: true,
    resource: resourceFromAttributes({ 'service.name': 'langflow', ...resource }),
    instrumentationScope: { name: 'langflow.services.tracing.otlp' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

export const hexId = (bytes: number) => randomBytes(bytes).toString('hex');

/**
 * The UUID the service stores an OTLP trace id as, written out by hand: its 16 bytes with the
 * version nibble 8 and the variant bits 10.
 */
export const traceUuidOf = (hex: string) => {
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20)}`;
};

export interface LangflowRun {
  traceId: string;
  flowId: string;
  rootName: string;
  /** Root first, then the components in start order: Chat Input, the model, a failing tool. */
  spans: ReadableSpan[];
}

/**
 * One flow run as Langflow's OTLP exporter (services/tracing/otlp.py) sends it: a root span named
 * "<flow name> - <flow id>" with langflow.* attributes and the run's outputs, and a child span per
 * component with trace_type and inputs/outputs as JSON text; the model's span carries the GenAI
 * token counts and model, and an API key among its inputs; the tool failed (an exception event).
 */
export function langflowRun(flowId: string, sessionId = 'session-1'): LangflowRun {
  const traceId = hexId(16);
  const root = hexId(8);
  const rootName = `Basic Prompting - ${flowId}`;
  const shapes: SpanShape[] = [
    {
      name: rootName,
      spanId: root,
      startMs: 0,
      endMs: 3000,
      attributes: {
        'langflow.trace_id': '11111111-2222-4333-8444-555555555555',
        'langflow.trace_name': rootName,
        'langflow.trace_type': 'chain',
        'langflow.project_name': 'Starter Project',
        'langflow.session_id': sessionId,
        outputs: JSON.stringify({ message: 'Bye' }),
      },
    },
    {
      name: 'Chat Input (ChatInput-a1b2c)',
      spanId: hexId(8),
      parentSpanId: root,
      startMs: 10,
      endMs: 20,
      attributes: {
        trace_type: 'chain',
        inputs: JSON.stringify({ input_value: 'Hello' }),
        outputs: JSON.stringify({ message: 'Hello' }),
        vertex_id: 'ChatInput-a1b2c',
      },
    },
    {
      name: 'OpenAI (OpenAIModel-d3e4f)',
      spanId: hexId(8),
      parentSpanId: root,
      startMs: 100,
      endMs: 1100,
      kind: SpanKind.CLIENT,
      attributes: {
        trace_type: 'llm',
        inputs: JSON.stringify({ input_value: 'Hello', api_key: 'sk-live-0123456789abcdef' }),
        outputs: JSON.stringify({ text_output: 'Hi!' }),
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 12,
        'gen_ai.usage.output_tokens': 30,
      },
    },
    {
      name: 'Search (SearchAPI-g5h6i)',
      spanId: hexId(8),
      parentSpanId: root,
      startMs: 1200,
      endMs: 1300,
      attributes: { trace_type: 'tool', inputs: JSON.stringify({ query: 'weather' }) },
      exception: { type: 'ValueError', message: 'Search quota exceeded' },
    },
  ];
  return { traceId, flowId, rootName, spans: shapes.map((shape) => readableSpan(traceId, shape)) };
}

/** The detail GET /api/v1/monitor/traces/{id} answers for a whole `langflowRun`. */
export function expectedRunDetail(run: LangflowRun, sessionId = 'session-1') {
  const span = {
    status: 'ok',
    error: null,
    modelName: null,
    tokenUsage: null,
    children: [],
    outputs: null,
  };
  return {
    id: traceUuidOf(run.traceId),
    name: run.rootName,
    status: 'error',
    startTime: at(0),
    endTime: at(3000),
    totalLatencyMs: 3000,
    totalTokens: 42,
    flowId: run.flowId,
    sessionId,
    input: { input_value: 'Hello' },
    output: { message: 'Bye' },
    spans: [
      {
        ...span,
        id: expectUuid(),
        name: run.rootName,
        type: 'chain',
        startTime: at(0),
        endTime: at(3000),
        latencyMs: 3000,
        inputs: null,
        outputs: { message: 'Bye' },
        // Only the tool failed: the trace is an error, the root's own status is ok.
        children: [
          {
            ...span,
            id: expectUuid(),
            name: 'Chat Input (ChatInput-a1b2c)',
            type: 'chain',
            startTime: at(10),
            endTime: at(20),
            latencyMs: 10,
            inputs: { input_value: 'Hello' },
            outputs: { message: 'Hello' },
          },
          {
            ...span,
            id: expectUuid(),
            name: 'OpenAI (OpenAIModel-d3e4f)',
            type: 'llm',
            startTime: at(100),
            endTime: at(1100),
            latencyMs: 1000,
            inputs: { input_value: 'Hello', api_key: 'sk-l...cdef' },
            outputs: { text_output: 'Hi!' },
            modelName: 'gpt-4o-mini',
            tokenUsage: { promptTokens: 12, completionTokens: 30, totalTokens: 42 },
          },
          {
            ...span,
            id: expectUuid(),
            name: 'Search (SearchAPI-g5h6i)',
            type: 'tool',
            status: 'error',
            startTime: at(1200),
            endTime: at(1300),
            latencyMs: 100,
            inputs: { query: 'weather' },
            error: 'ValueError: Search quota exceeded',
          },
        ],
      },
    ],
  };
}

function expectUuid() {
  return expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
}

/**
 * Sends spans with the SDK's own exporter (http/protobuf or http/json), as an app would, from a
 * child process (otlp-export.process.js says why). Resolves to the exporter's result.
 */
export async function exportSpans(
  baseUrl: string,
  key: string,
  spans: ReadableSpan[],
  options: { protocol: 'http/protobuf' | 'http/json'; gzip?: boolean; bearer?: boolean },
): Promise<{ code: number; error: string | null }> {
  const job = {
    url: `${baseUrl}/v1/traces`,
    headers: options.bearer ? { Authorization: `Bearer ${key}` } : { 'x-api-key': key },
    protocol: options.protocol,
    gzip: options.gzip ?? false,
    spans: spans.map((span) => ({
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
      parentSpanId: span.parentSpanContext?.spanId,
      name: span.name,
      kind: span.kind,
      startTime: span.startTime,
      endTime: span.endTime,
      status: span.status,
      attributes: span.attributes,
      events: span.events,
      resource: span.resource.attributes,
    })),
  };
  const child = spawn(process.execPath, [path.join(__dirname, 'otlp-export.process.js')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.end(JSON.stringify(job));
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  await once(child, 'close');
  return JSON.parse(output) as { code: number; error: string | null };
}

/** ExportResultCode of @opentelemetry/core. */
export const ExportResultCode = { SUCCESS: 0, FAILED: 1 } as const;
