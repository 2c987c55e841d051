import { randomBytes, randomUUID } from 'node:crypto';
import { messageInput } from '../factories/messages';
import { databaseEnv, ProcessResult } from '../support/cli-runner';
import { dropTestDatabase, testDatabases } from '../support/databases';
import {
  OtlpReceiver,
  ReceivedSpan,
  SPAN_KIND_CLIENT,
  SPAN_KIND_SERVER,
} from '../support/otlp-receiver';
import { LogLine, ServiceProcess } from '../support/process-service';

// Tracing hooks modules as they load, so it is tested on the real service process (from source,
// through ts-node: slow to start), exporting OTLP/JSON to a receiver on loopback.
jest.setTimeout(180_000);

const KEY = `sk-tracing-test-key-${'t'.repeat(32)}`;
const RENAME_ROUTE = '/api/v1/monitor/messages/session/{old_session_id}';
const SESSIONS_ROUTE = '/api/v1/monitor/messages/sessions';
const DATABASE_SYSTEM = { sqlite: 'sqlite', postgres: 'postgresql' } as const;

/** A caller's W3C trace context: a trace id and the caller's own span id in it. */
function callerContext() {
  const traceId = randomBytes(16).toString('hex');
  const parentSpanId = randomBytes(8).toString('hex');
  return { traceId, parentSpanId, traceparent: `00-${traceId}-${parentSpanId}-01` };
}

/** The closing log line of the request sent with X-Request-Id `reqId`. */
function requestLine(lines: LogLine[], reqId: string): LogLine {
  const line = lines.find((candidate) => candidate.reqId === reqId && candidate.res !== undefined);
  if (!line) {
    throw new Error(`no request line for ${reqId}`);
  }
  return line;
}

const serverSpan = (spans: ReceivedSpan[], route: string) =>
  spans.find((span) => span.kind === SPAN_KIND_SERVER && span.attributes['http.route'] === route);
const statementSpans = (spans: ReceivedSpan[]) =>
  spans.filter((span) => typeof span.attributes['db.query.text'] === 'string');

for (const database of testDatabases()) {
  describe(`tracing on, through OTEL_EXPORTER_OTLP_ENDPOINT [${database.name}]`, () => {
    const caller = callerContext();
    const renameRequestId = `rename-${randomUUID()}`;
    const sessionsRequestId = `sessions-${randomUUID()}`;
    let receiver: OtlpReceiver;
    let service: ServiceProcess | undefined;
    let stopped: ProcessResult;
    let renamed: { status: number; body: any[] };
    let sessions: { status: number; body: unknown };
    let pastedStatus: number;

    // Drives the requests, then stops the service: with batches sent only every hour, the
    // spans reach the receiver only because the service flushes them as it shuts down.
    beforeAll(async () => {
      receiver = await OtlpReceiver.start();
      service = await ServiceProcess.start({
        ...databaseEnv(database),
        MONITOR_SUPERUSER_API_KEY: KEY,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '3600000',
        OTEL_SERVICE_NAME: 'monitor-under-test',
      });
      const flowId = randomUUID();
      const stored = await fetch(`${service.baseUrl}/api/v1/monitor/messages`, {
        method: 'POST',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify([
          messageInput({ flow_id: flowId, session_id: 'chat 7', text: 'one' }),
          messageInput({ flow_id: flowId, session_id: 'chat 7', text: 'two' }),
        ]),
      });
      expect(stored.status).toBe(201);

      const rename = await fetch(
        `${service.baseUrl}/api/v1/monitor/messages/session/chat%207?new_session_id=chat-8`,
        {
          method: 'PATCH',
          headers: {
            'x-api-key': KEY,
            traceparent: caller.traceparent,
            'x-request-id': renameRequestId,
          },
        },
      );
      renamed = { status: rename.status, body: (await rename.json()) as any[] };

      // No traceparent, and the key in the query string.
      const listed = await fetch(
        `${service.baseUrl}/api/v1/monitor/messages/sessions?x-api-key=${KEY}`,
        { headers: { 'x-request-id': sessionsRequestId } },
      );
      sessions = { status: listed.status, body: await listed.json() };

      // A key pasted into the path, and in the query under another spelling.
      const pasted = await fetch(
        `${service.baseUrl}/api/v1/monitor/messages/${KEY}?x-api-key[]=${encodeURIComponent(KEY)}`,
        { headers: { 'x-api-key': KEY } },
      );
      pastedStatus = pasted.status;
      await pasted.arrayBuffer();

      stopped = await service.stop('SIGTERM');
    });
    afterAll(async () => {
      service?.kill();
      await receiver?.close();
      await dropTestDatabase(database);
    });

    it('stops cleanly and has sent every span by then', () => {
      expect(stopped.code).toBe(0);
      expect(renamed.status).toBe(200);
      expect(renamed.body.map((message) => message.session_id)).toEqual(['chat-8', 'chat-8']);
      expect(sessions).toEqual({ status: 200, body: ['chat-8'] });
      const servers = receiver.spans().filter((span) => span.kind === SPAN_KIND_SERVER);
      expect(servers.map((span) => span.name)).toEqual(
        expect.arrayContaining([
          'POST /api/v1/monitor/messages',
          `PATCH ${RENAME_ROUTE}`,
          `GET ${SESSIONS_ROUTE}`,
        ]),
      );
      for (const span of receiver.spans()) {
        expect(span.resource['service.name']).toBe('monitor-under-test');
      }
    });

    it("continues the caller's trace: the rename's server span is a child of the caller's span, named after its route", () => {
      const spans = receiver.spans().filter((span) => span.traceId === caller.traceId);
      const server = serverSpan(spans, RENAME_ROUTE)!;
      expect(server).toBeDefined();
      expect(server.name).toBe(`PATCH ${RENAME_ROUTE}`);
      expect(server.parentSpanId).toBe(caller.parentSpanId);
      expect(server.attributes).toMatchObject({
        'http.request.method': 'PATCH',
        'http.route': RENAME_ROUTE,
        'http.response.status_code': 200,
        'url.path': '/api/v1/monitor/messages/session/chat%207',
        'url.query': 'new_session_id=chat-8',
      });
      // One server span in the trace: nothing else took the request for a new one.
      expect(spans.filter((span) => span.kind === SPAN_KIND_SERVER)).toHaveLength(1);
    });

    it("gives each of the rename's database statements a client span under the server span", () => {
      const spans = receiver.spans().filter((span) => span.traceId === caller.traceId);
      const server = serverSpan(spans, RENAME_ROUTE)!;
      const statements = statementSpans(spans);
      for (const statement of statements) {
        expect(statement.kind).toBe(SPAN_KIND_CLIENT);
        expect(statement.parentSpanId).toBe(server.spanId);
        expect(statement.attributes['db.system.name']).toBe(DATABASE_SYSTEM[database.name]);
      }
      const texts = statements.map((span) => span.attributes['db.query.text'] as string);
      // The caller's key looked up, the transaction opened, the messages moved (and, on SQLite,
      // read back by a statement iterated on the writer; on PostgreSQL, streamed from the
      // UPDATE ... RETURNING through a cursor), the transaction committed.
      expect(texts.some((text) => /FROM \S*"api_key"/.test(text))).toBe(true);
      expect(texts.some((text) => /^(BEGIN|START TRANSACTION)/.test(text))).toBe(true);
      expect(texts.some((text) => /UPDATE \S*"message" SET "session_id"/.test(text))).toBe(true);
      expect(texts).toContain('COMMIT');
      if (database.name === 'sqlite') {
        expect(texts.some((text) => /^SELECT .* FROM "message" "m" WHERE/.test(text))).toBe(true);
        for (const span of statements) {
          expect(span.name).toBe(`sqlite.query:${span.attributes['db.operation.name'] as string}`);
        }
      } else {
        expect(texts.some((text) => /^WITH "moved" AS \(UPDATE/.test(text))).toBe(true);
      }
    });

    it("writes the trace and the server span's ids on the request's log line", () => {
      const server = serverSpan(
        receiver.spans().filter((span) => span.traceId === caller.traceId),
        RENAME_ROUTE,
      )!;
      const line = requestLine(service!.logLines(), renameRequestId);
      expect(line).toMatchObject({
        trace_id: caller.traceId,
        span_id: server.spanId,
        trace_flags: '01',
        route: RENAME_ROUTE,
      });
    });

    it('starts a new trace for a request without traceparent, spans its streamed read, and never exports the API key', () => {
      const line = requestLine(service!.logLines(), sessionsRequestId);
      const spans = receiver.spans().filter((span) => span.traceId === line.trace_id);
      const server = serverSpan(spans, SESSIONS_ROUTE)!;
      expect(server).toBeDefined();
      expect(server.parentSpanId).toBeUndefined();
      expect(server.attributes['url.query']).toBe('x-api-key=[REDACTED]');
      const read = statementSpans(spans).filter((span) =>
        /^SELECT "m"."session_id" AS "session_id" FROM/.test(
          span.attributes['db.query.text'] as string,
        ),
      );
      expect(read).toHaveLength(1);
      expect(read[0].parentSpanId).toBe(server.spanId);
      expect(JSON.stringify(receiver.spans())).not.toContain(KEY);
    });

    it('exports no key pasted into the path or the query under another spelling', () => {
      expect(pastedStatus).toBe(422);
      const server = receiver
        .spans()
        .find(
          (span) =>
            span.kind === SPAN_KIND_SERVER &&
            String(span.attributes['url.path']).startsWith('/api/v1/monitor/messages/['),
        );
      expect(server?.attributes['url.path']).toBe('/api/v1/monitor/messages/[REDACTED]');
      expect(server?.attributes['url.query']).toBe('x-api-key[]=[REDACTED]');
      expect(JSON.stringify(receiver.spans())).not.toContain(KEY.slice(3));
    });
  });
}

describe('tracing off: no OTLP endpoint set', () => {
  const database = testDatabases()[0];
  afterAll(() => dropTestDatabase(database));

  it('writes no trace ids, even for a request with traceparent', async () => {
    const service = await ServiceProcess.start({
      ...databaseEnv(database),
      MONITOR_SUPERUSER_API_KEY: KEY,
      // The other OTel variables alone do not turn tracing on.
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'monitor-under-test',
    });
    try {
      const requestId = `off-${randomUUID()}`;
      const response = await fetch(`${service.baseUrl}/api/v1/monitor/messages/sessions`, {
        headers: {
          'x-api-key': KEY,
          traceparent: callerContext().traceparent,
          'x-request-id': requestId,
        },
      });
      expect(response.status).toBe(200);
      expect((await service.stop('SIGTERM')).code).toBe(0);
      const lines = service.logLines();
      expect(requestLine(lines, requestId).route).toBe(SESSIONS_ROUTE);
      for (const line of lines) {
        expect(line).not.toHaveProperty('trace_id');
      }
    } finally {
      service.kill();
    }
  });

  it('stays off with OTEL_SDK_DISABLED=true, endpoint or not: the receiver hears nothing', async () => {
    const receiver = await OtlpReceiver.start();
    const service = await ServiceProcess.start({
      ...databaseEnv(database),
      MONITOR_SUPERUSER_API_KEY: KEY,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '3600000',
      OTEL_SDK_DISABLED: 'true',
    });
    try {
      const response = await fetch(`${service.baseUrl}/api/v1/monitor/messages/sessions`, {
        headers: { 'x-api-key': KEY, traceparent: callerContext().traceparent },
      });
      expect(response.status).toBe(200);
      expect((await service.stop('SIGTERM')).code).toBe(0);
      expect(receiver.requestCount).toBe(0);
    } finally {
      service.kill();
      await receiver.close();
    }
  });
});
