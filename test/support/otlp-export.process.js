// Sends spans with the OpenTelemetry SDK's own OTLP/HTTP exporters, in a process of its own: the
// exporters load their HTTP transport with a dynamic import(), which Jest's module sandbox refuses.
// Reads {url, headers, protocol, gzip, spans} as JSON on stdin, writes {code, error} on stdout.
/* global process, Buffer */
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { OTLPTraceExporter: ProtoExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { OTLPTraceExporter: JsonExporter } = require('@opentelemetry/exporter-trace-otlp-http');

function readableSpan(span) {
  const context = (spanId) => ({ traceId: span.traceId, spanId, traceFlags: 1 });
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => context(span.spanId),
    parentSpanContext: span.parentSpanId ? context(span.parentSpanId) : undefined,
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes: span.attributes,
    links: [],
    events: span.events,
    duration: [0, 0],
    ended: true,
    resource: resourceFromAttributes(span.resource),
    instrumentationScope: { name: 'langflow.services.tracing.otlp' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const job = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const config = {
    url: job.url,
    headers: job.headers,
    compression: job.gzip ? 'gzip' : 'none',
    timeoutMillis: 10000,
  };
  const exporter =
    job.protocol === 'http/protobuf' ? new ProtoExporter(config) : new JsonExporter(config);
  const result = await new Promise((resolve) =>
    exporter.export(job.spans.map(readableSpan), resolve),
  );
  await exporter.shutdown();
  process.stdout.write(
    JSON.stringify({ code: result.code, error: result.error ? String(result.error) : null }),
  );
}

main().catch((error) => {
  process.stdout.write(JSON.stringify({ code: 1, error: String(error) }));
});
