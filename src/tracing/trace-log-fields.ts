import { trace } from '@opentelemetry/api';

/**
 * pino mixin: the trace and span the line was written in, named as OpenTelemetry's log data model
 * and its pino instrumentation name them, so that a log store can link the line to its trace.
 */
export function traceLogFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (span === undefined) {
    return {};
  }
  const { traceId, spanId, traceFlags } = span.spanContext();
  return {
    trace_id: traceId,
    span_id: spanId,
    trace_flags: `0${traceFlags.toString(16)}`.slice(-2),
  };
}
