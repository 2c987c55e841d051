import { Attributes, Span } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
} from '@opentelemetry/semantic-conventions';
import type { Request } from 'express';
import { ClientRequest, IncomingMessage } from 'node:http';
import { packageVersion } from '../cli/package-version';
import { routeTemplate } from '../common/http/route-template';
import { redactUrl } from '../logging/redact-url';
import { scrubApiKeys } from '../logging/scrub-api-keys';
import { StatementInstrumentation } from './statement-spans';
import { markTracingStarted } from './tracing-state';

/**
 * The request's path and query with any API key in them redacted, as the request log has them:
 * a key named in the query, and anything key-shaped anywhere (a key pasted into the path).
 * These replace the instrumentation's own `url.path` and `url.query`.
 */
function redactedUrl(request: IncomingMessage): Attributes {
  const url = scrubApiKeys(redactUrl(request.url ?? ''));
  const start = url.indexOf('?');
  if (start === -1) {
    return { [ATTR_URL_PATH]: url };
  }
  return { [ATTR_URL_PATH]: url.slice(0, start), [ATTR_URL_QUERY]: url.slice(start + 1) };
}

/**
 * Names the server span after the route that answered (`PATCH
 * /api/v1/monitor/messages/session/{old_session_id}`), the template the request log and the
 * metrics use; unknown paths keep the bare method, so that scanners cannot multiply span names.
 */
function nameAfterRoute(span: Span, request: ClientRequest | IncomingMessage): void {
  const route = routeTemplate(request as Request);
  if (route !== undefined) {
    span.setAttribute(ATTR_HTTP_ROUTE, route);
    span.updateName(`${(request as IncomingMessage).method ?? 'GET'} ${route}`);
  }
}

/**
 * Starts OpenTelemetry's Node SDK, configured by the standard OTEL_* variables (endpoint,
 * protocol, headers, service name, resource attributes, sampler, propagators, batching):
 * a server span per HTTP request, continuing the caller's W3C `traceparent`, and a client span
 * per database statement made while handling it. Traces only: metrics are served to Prometheus at
 * /metrics and logs are written to stdout.
 */
export function startTracingSdk(): void {
  const sdk = new NodeSDK({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES still win over these.
    resource: defaultResource().merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: 'monitor-service',
        [ATTR_SERVICE_VERSION]: packageVersion(),
      }),
    ),
    instrumentations: [
      new HttpInstrumentation({
        // The service calls no other HTTP service; the OTLP exporter's own requests are not traced.
        disableOutgoingRequestInstrumentation: true,
        startIncomingSpanHook: redactedUrl,
        applyCustomAttributesOnSpan: nameAfterRoute,
      }),
      new PgInstrumentation({ requireParentSpan: true }),
      new StatementInstrumentation(),
    ],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  markTracingStarted(sdk);
}
