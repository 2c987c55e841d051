import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { HeldSpan } from '../../src/monitor/traces/otlp/held-span.entity';
import { HeldSpanSweep } from '../../src/monitor/traces/otlp/held-span-sweep.service';
import { createUser } from '../factories/users';
import { testDatabases } from '../support/databases';
import {
  at,
  expectedRunDetail,
  exportSpans,
  ExportResultCode,
  hexId,
  langflowRun,
  readableSpan,
  traceUuidOf,
} from '../support/langflow-otlp-run';
import { describeEachDatabase, startTestApp, TestApp } from '../support/test-app';
import * as protobuf from 'protobufjs';

const TRACES = '/api/v1/monitor/traces';

/** google.rpc.Status, to read the receiver's protobuf error bodies. */
const RpcStatus = new protobuf.Type('Status')
  .add(new protobuf.Field('code', 1, 'int32'))
  .add(new protobuf.Field('message', 2, 'string'));

async function count(testApp: TestApp, table: string): Promise<number> {
  const [row] = await testApp.dataSource.query<{ count: string | number }[]>(
    `SELECT COUNT(*) AS "count" FROM "${table}"`,
  );
  return Number(row.count);
}

/** A raw OTLP/HTTP request, for what an exporter never sends (or to read the answer's body). */
async function post(
  testApp: TestApp,
  body: Uint8Array | string | undefined,
  headers: Record<string, string>,
  { path = '/v1/traces', method = 'POST' }: { path?: string; method?: string } = {},
): Promise<{ status: number; type: string; bytes: Buffer; headers: Headers }> {
  const response = await fetch(`${testApp.api.baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined || typeof body === 'string' ? body : Buffer.from(body),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    bytes: Buffer.from(await response.arrayBuffer()),
    headers: response.headers,
  };
}

const protobufBody = (spans: ReadableSpan[]) => ProtobufTraceSerializer.serializeRequest(spans)!;
const jsonBody = (spans: ReadableSpan[]) =>
  Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString('utf8');

describeEachDatabase(
  'POST /v1/traces (OTLP/HTTP)',
  (ctx) => {
    it.each([
      ['http/protobuf', false],
      ['http/protobuf', true],
      ['http/json', false],
      ['http/json', true],
    ] as const)(
      "stores a Langflow run sent by the SDK's %s exporter (gzip %s), read back through the trace routes",
      async (protocol, gzip) => {
        const alice = await createUser(ctx());
        const run = langflowRun(randomUUID());
        const result = await exportSpans(ctx().api.baseUrl, alice.key, run.spans, {
          protocol,
          gzip,
        });
        expect(result.code).toBe(ExportResultCode.SUCCESS);
        const detail = await ctx().api.get(`${TRACES}/${traceUuidOf(run.traceId)}`, {
          key: alice.key,
        });
        expect(detail.status).toBe(200);
        expect(detail.body).toEqual(expectedRunDetail(run));
        const list = await ctx().api.get(TRACES, { key: alice.key });
        expect(list.body).toEqual({
          traces: [
            {
              id: traceUuidOf(run.traceId),
              name: run.rootName,
              status: 'error',
              startTime: at(0),
              totalLatencyMs: 3000,
              totalTokens: 42,
              flowId: run.flowId,
              sessionId: 'session-1',
              input: { input_value: 'Hello' },
              output: { message: 'Bye' },
            },
          ],
          total: 1,
          pages: 1,
        });
        // The secret among the model's inputs is not stored anywhere.
        const rows = await ctx().dataSource.query<{ inputs: string | null }[]>(
          'SELECT "inputs" FROM "span"',
        );
        expect(JSON.stringify(rows)).not.toContain('sk-live-0123456789abcdef');
      },
    );

    it('takes the key as Authorization: Bearer, and answers 403 in protobuf without one', async () => {
      const alice = await createUser(ctx());
      const run = langflowRun(randomUUID());
      const result = await exportSpans(ctx().api.baseUrl, alice.key, run.spans, {
        protocol: 'http/protobuf',
        bearer: true,
      });
      expect(result.code).toBe(ExportResultCode.SUCCESS);
      expect(await count(ctx(), 'span')).toBe(4);

      const refused = await post(ctx(), protobufBody(run.spans), {
        'content-type': 'application/x-protobuf',
        'x-api-key': 'sk-wrong',
      });
      expect(refused.status).toBe(403);
      expect(refused.type).toContain('application/x-protobuf');
      expect(RpcStatus.toObject(RpcStatus.decode(refused.bytes))).toEqual({
        code: 7,
        message: expect.any(String),
      });
    });

    it('stores each span once when the same batch comes twice', async () => {
      const alice = await createUser(ctx());
      const run = langflowRun(randomUUID());
      for (const protocol of ['http/protobuf', 'http/json', 'http/protobuf'] as const) {
        const result = await exportSpans(ctx().api.baseUrl, alice.key, run.spans, { protocol });
        expect(result.code).toBe(ExportResultCode.SUCCESS);
      }
      expect(await count(ctx(), 'trace')).toBe(1);
      expect(await count(ctx(), 'span')).toBe(4);
      const detail = await ctx().api.get(`${TRACES}/${traceUuidOf(run.traceId)}`, {
        key: alice.key,
      });
      expect(detail.body).toEqual(expectedRunDetail(run));
    });

    it('holds children sent before their root, and joins them when the root names the flow', async () => {
      const alice = await createUser(ctx());
      const run = langflowRun(randomUUID());
      const [root, ...children] = run.spans;
      const first = await exportSpans(ctx().api.baseUrl, alice.key, children, {
        protocol: 'http/protobuf',
      });
      expect(first.code).toBe(ExportResultCode.SUCCESS);
      expect(await count(ctx(), 'span')).toBe(0);
      expect(await count(ctx(), 'otlp_held_span')).toBe(3);
      const missing = await ctx().api.get(`${TRACES}/${traceUuidOf(run.traceId)}`, {
        key: alice.key,
      });
      expect(missing.status).toBe(404);

      const second = await exportSpans(ctx().api.baseUrl, alice.key, [root], {
        protocol: 'http/json',
      });
      expect(second.code).toBe(ExportResultCode.SUCCESS);
      expect(await count(ctx(), 'otlp_held_span')).toBe(0);
      const detail = await ctx().api.get(`${TRACES}/${traceUuidOf(run.traceId)}`, {
        key: alice.key,
      });
      expect(detail.body).toEqual(expectedRunDetail(run));

      // A late child of a trace already stored joins it directly, and the rollups follow.
      const late = readableSpan(run.traceId, {
        name: 'Chat Output (ChatOutput-z9)',
        spanId: hexId(8),
        parentSpanId: root.spanContext().spanId,
        startMs: 2000,
        endMs: 4000,
      });
      await exportSpans(ctx().api.baseUrl, alice.key, [late], { protocol: 'http/protobuf' });
      const after = await ctx().api.get(`${TRACES}/${traceUuidOf(run.traceId)}`, {
        key: alice.key,
      });
      expect(after.body).toMatchObject({ endTime: at(4000), totalLatencyMs: 4000 });
      expect(after.body.spans[0].children).toHaveLength(4);
    });

    it('comes out the same when a run is split in two and the halves come in reverse order', async () => {
      const alice = await createUser(ctx());
      const run = langflowRun(randomUUID());
      // The root and the model first... no: the tool and input first, then the root and model.
      const halves = [
        [run.spans[1], run.spans[3]],
        [run.spans[0], run.spans[2]],
      ];
      for (const half of [...halves].reverse()) {
        const result = await exportSpans(ctx().api.baseUrl, alice.key, half, {
          protocol: 'http/protobuf',
        });
        expect(result.code).toBe(ExportResultCode.SUCCESS);
      }
      const detail = await ctx().api.get(`${TRACES}/${traceUuidOf(run.traceId)}`, {
        key: alice.key,
      });
      expect(detail.body).toEqual(expectedRunDetail(run));
    });

    it("refuses the whole trace when it names another user's flow, held spans included", async () => {
      const alice = await createUser(ctx());
      const bob = await createUser(ctx());
      const flowId = randomUUID();
      const bobs = langflowRun(flowId);
      await exportSpans(ctx().api.baseUrl, bob.key, bobs.spans, { protocol: 'http/protobuf' });

      const run = langflowRun(flowId);
      const [root, ...children] = run.spans;
      await exportSpans(ctx().api.baseUrl, alice.key, children, { protocol: 'http/protobuf' });
      expect(await count(ctx(), 'otlp_held_span')).toBe(3);
      const answer = await post(ctx(), jsonBody([root]), {
        'content-type': 'application/json',
        'x-api-key': alice.key,
      });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.bytes.toString('utf8'))).toEqual({
        partialSuccess: {
          rejectedSpans: '1',
          errorMessage: "1 refused: spans of a trace whose flow is another user's",
        },
      });
      expect(await count(ctx(), 'otlp_held_span')).toBe(0);
      expect(await count(ctx(), 'trace')).toBe(1);
      expect(await count(ctx(), 'span')).toBe(4);
      const aliceList = await ctx().api.get(TRACES, { key: alice.key });
      expect(aliceList.body).toEqual({ traces: [], total: 0, pages: 0 });
      const bobList = await ctx().api.get(TRACES, { key: bob.key });
      expect(bobList.body.traces.map((trace: { id: string }) => trace.id)).toEqual([
        traceUuidOf(bobs.traceId),
      ]);
    });

    it('answers partial_success for spans with invalid ids, in the protobuf response', async () => {
      const alice = await createUser(ctx());
      const run = langflowRun(randomUUID());
      const zero = readableSpan('0'.repeat(32), {
        name: 'bad',
        spanId: hexId(8),
        startMs: 0,
        endMs: 1,
      });
      const answer = await post(ctx(), protobufBody([...run.spans, zero]), {
        'content-type': 'application/x-protobuf',
        'x-api-key': alice.key,
      });
      expect(answer.status).toBe(200);
      expect(answer.type).toContain('application/x-protobuf');
      expect(ProtobufTraceSerializer.deserializeResponse(answer.bytes)).toEqual({
        partialSuccess: {
          rejectedSpans: 1,
          errorMessage: '1 refused: a span without a valid trace id (16 bytes, not all zero)',
        },
      });
      expect(await count(ctx(), 'span')).toBe(4);

      const clean = await post(ctx(), protobufBody(run.spans), {
        'content-type': 'application/x-protobuf',
        'x-api-key': alice.key,
      });
      expect(clean.status).toBe(200);
      expect(clean.bytes.length).toBe(0);
    });

    it('answers 400 for bodies that do not decode and 415 for other types, storing nothing', async () => {
      const alice = await createUser(ctx());
      const key = { 'x-api-key': alice.key };
      const junk = await post(ctx(), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), {
        ...key,
        'content-type': 'application/x-protobuf',
      });
      expect(junk.status).toBe(400);
      expect(RpcStatus.toObject(RpcStatus.decode(junk.bytes))).toEqual({
        code: 3,
        message: 'Request body is not an ExportTraceServiceRequest: it is not valid protobuf',
      });
      const badGzip = await post(ctx(), Buffer.from('not gzip'), {
        ...key,
        'content-type': 'application/x-protobuf',
        'content-encoding': 'gzip',
      });
      expect(badGzip.status).toBe(400);

      const badJson = await post(ctx(), '{"resourceSpans": [', {
        ...key,
        'content-type': 'application/json',
      });
      expect(badJson.status).toBe(400);
      expect(JSON.parse(badJson.bytes.toString('utf8'))).toEqual({
        code: 3,
        message: 'JSON decode error',
        detail: 'JSON decode error',
      });
      const wrongShape = await post(ctx(), '{"resourceSpans": {"x": 1}}', {
        ...key,
        'content-type': 'application/json',
      });
      expect(wrongShape.status).toBe(400);
      expect(JSON.parse(wrongShape.bytes.toString('utf8')).detail).toBe(
        'Request body is not an ExportTraceServiceRequest: resourceSpans must be a list',
      );

      const text = await post(ctx(), 'hello', { ...key, 'content-type': 'text/plain' });
      expect(text.status).toBe(415);

      // A small gzip body that inflates past BODY_LIMIT_BYTES (10 MiB): refused as it inflates.
      const bomb = await post(ctx(), gzipSync(Buffer.alloc(11 * 1024 * 1024)), {
        ...key,
        'content-type': 'application/x-protobuf',
        'content-encoding': 'gzip',
      });
      expect(bomb.status).toBe(413);
      expect(RpcStatus.toObject(RpcStatus.decode(bomb.bytes))).toEqual({
        code: 8,
        message: 'Request body too large: the limit is 10 MiB',
      });
      const unknownEncoding = await post(ctx(), Buffer.from([1]), {
        ...key,
        'content-type': 'application/x-protobuf',
        'content-encoding': 'zstd',
      });
      expect(unknownEncoding.status).toBe(415);

      const gzipped = await post(
        ctx(),
        gzipSync(Buffer.from(jsonBody(langflowRun(randomUUID()).spans))),
        {
          ...key,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        },
      );
      expect(gzipped.status).toBe(200);
      expect(await count(ctx(), 'span')).toBe(4);
    });

    it('counts held spans that expire, and drops them after the bound', async () => {
      const alice = await createUser(ctx());
      const run = langflowRun(randomUUID());
      await exportSpans(ctx().api.baseUrl, alice.key, run.spans.slice(1), {
        protocol: 'http/protobuf',
      });
      const sweep = ctx().app.get(HeldSpanSweep);
      expect(await sweep.sweep(new Date(Date.now() + 9 * 60_000))).toBe(0);
      expect(await count(ctx(), 'otlp_held_span')).toBe(3);
      expect(await sweep.sweep(new Date(Date.now() + 11 * 60_000))).toBe(3);
      expect(await count(ctx(), 'otlp_held_span')).toBe(0);
      const metrics = (await ctx().api.get<string>('/metrics')).text;
      expect(metrics).toMatch(/monitor_trace_spans_total\{source="otlp",outcome="expired"\} [1-9]/);
      expect(metrics).toMatch(/monitor_trace_spans_total\{source="otlp",outcome="held"\} [1-9]/);
    });

    it('lists received traces filtered by every parameter, paged', async () => {
      const alice = await createUser(ctx());
      const flowA = randomUUID();
      const flowB = randomUUID();
      const runs = [
        langflowRun(flowA, 's-1'),
        langflowRun(flowA, 's-2'),
        langflowRun(flowB, 's-1'),
      ];
      // Each run a minute after the one before; the third one succeeds.
      const shifted = runs.map((run, index) => ({
        ...run,
        spans: run.spans
          .filter((span) => !(index === 2 && span.name.startsWith('Search')))
          .map((span) => ({
            ...span,
            startTime: [span.startTime[0] + index * 60, span.startTime[1]] as [number, number],
            endTime: [span.endTime[0] + index * 60, span.endTime[1]] as [number, number],
          })),
      }));
      await exportSpans(
        ctx().api.baseUrl,
        alice.key,
        shifted.flatMap((run) => run.spans),
        { protocol: 'http/protobuf' },
      );
      const ids = (body: { traces: { id: string }[] }) => body.traces.map((trace) => trace.id);
      const id = (index: number) => traceUuidOf(runs[index].traceId);
      const list = (query: Record<string, string>) =>
        ctx().api.get(TRACES, { key: alice.key, query });
      expect(ids((await list({})).body)).toEqual([id(2), id(1), id(0)]);
      expect(ids((await list({ flow_id: flowA })).body)).toEqual([id(1), id(0)]);
      expect(ids((await list({ session_id: 's-1' })).body)).toEqual([id(2), id(0)]);
      expect(ids((await list({ status: 'ok' })).body)).toEqual([id(2)]);
      expect(ids((await list({ status: 'error' })).body)).toEqual([id(1), id(0)]);
      expect(ids((await list({ query: flowB.slice(0, 13).toUpperCase() })).body)).toEqual([id(2)]);
      expect(ids((await list({ start_time: at(60_000), end_time: at(61_000) })).body)).toEqual([
        id(1),
      ]);
      const page = await list({ size: '2', page: '2' });
      expect(page.body).toMatchObject({ total: 3, pages: 2 });
      expect(ids(page.body)).toEqual([id(0)]);
    });
  },
  { pgbouncer: true },
);

/** Spans of traces that name no flow: held until a span naming it comes. */
const orphans = (count: number) => {
  const traceId = hexId(16);
  return Array.from({ length: count }, (_, index) =>
    readableSpan(traceId, { name: `orphan ${index}`, spanId: hexId(8), startMs: 0, endMs: 1 }),
  );
};

describeEachDatabase(
  'POST /v1/traces with OTLP_MAX_HELD_SPANS=5',
  (ctx) => {
    const overCap = (count: number) => ({
      partialSuccess: {
        rejectedSpans: count,
        errorMessage:
          `${count} refused: spans held past OTLP_MAX_HELD_SPANS (5) ` +
          'waiting for a span that names their flow',
      },
    });
    /** Sends spans in protobuf; the answer's partialSuccess, or null for an empty answer. */
    const send = async (key: string, spans: ReadableSpan[]) => {
      const answer = await post(ctx(), protobufBody(spans), {
        'content-type': 'application/x-protobuf',
        'x-api-key': key,
      });
      expect(answer.status).toBe(200);
      return answer.bytes.length === 0
        ? null
        : ProtobufTraceSerializer.deserializeResponse(answer.bytes);
    };
    const heldFor = (userId: string) =>
      ctx().dataSource.getRepository(HeldSpan).find({ where: { userId } });

    it('holds whole traces up to the cap per user, refuses the rest, and frees room as flows arrive', async () => {
      const alice = await createUser(ctx());
      const bob = await createUser(ctx());
      const [first, second] = [langflowRun(randomUUID()), langflowRun(randomUUID())].sort((a, b) =>
        traceUuidOf(a.traceId) < traceUuidOf(b.traceId) ? -1 : 1,
      );
      // Two traces of 3 held spans each: only the first (in trace id order) fits, whole.
      expect(await send(alice.key, [...second.spans.slice(1), ...first.spans.slice(1)])).toEqual(
        overCap(3),
      );
      const held = await heldFor(alice.id);
      expect(held.map((row) => row.traceId)).toEqual(Array(3).fill(traceUuidOf(first.traceId)));

      // Spans already held, sent again, take no room: with them, one new span still fits.
      expect(await send(alice.key, [...first.spans.slice(1), ...orphans(1)])).toBeNull();
      expect(await heldFor(alice.id)).toHaveLength(4);

      // One span of room: a trace of two is refused, one of one is held, to exactly the cap.
      expect(await send(alice.key, [...orphans(2), ...orphans(1)])).toEqual(overCap(2));
      expect(await send(alice.key, orphans(1))).toEqual(overCap(1));
      expect(await count(ctx(), 'otlp_held_span')).toBe(5);

      // The cap is per user: Bob holds his own.
      expect(await send(bob.key, langflowRun(randomUUID()).spans.slice(1))).toBeNull();
      expect(await heldFor(bob.id)).toHaveLength(3);

      // A trace that names its flow is stored as ever, however many spans are held.
      const whole = langflowRun(randomUUID());
      expect(await send(alice.key, whole.spans)).toBeNull();
      const stored = await ctx().api.get(`${TRACES}/${traceUuidOf(whole.traceId)}`, {
        key: alice.key,
      });
      expect(stored.body).toEqual(expectedRunDetail(whole));

      // The root of the held trace arrives: its spans are stored, and their room is free again.
      expect(await send(alice.key, [first.spans[0]])).toBeNull();
      const joined = await ctx().api.get(`${TRACES}/${traceUuidOf(first.traceId)}`, {
        key: alice.key,
      });
      expect(joined.body).toEqual(expectedRunDetail(first));
      expect(await heldFor(alice.id)).toHaveLength(2);
      expect(await send(alice.key, second.spans.slice(1))).toBeNull();
      expect(await heldFor(alice.id)).toHaveLength(5);
      expect(await count(ctx(), 'otlp_held_span')).toBe(8);

      // Six refused in all, each counted once.
      const metrics = (await ctx().api.get<string>('/metrics')).text;
      expect(metrics).toMatch(/monitor_trace_spans_total\{source="otlp",outcome="rejected"\} 6\n/);
    });
  },
  { pgbouncer: true, env: { OTLP_MAX_HELD_SPANS: '5' } },
);

/** What UNSUPPORTED_CODING_DETAIL says: any coding but one of gzip, deflate or br, once. */
const UNSUPPORTED_CODING =
  'Unsupported Content-Encoding: send the body as it is, or compressed once with gzip, deflate or br';

/** A refusal's body read as google.rpc.Status in the answer's encoding (JSON: `detail` beside). */
function statusOf(answer: { type: string; bytes: Buffer }): { code: number; message: string } {
  if (answer.type.includes('application/x-protobuf')) {
    return RpcStatus.toObject(RpcStatus.decode(answer.bytes)) as { code: number; message: string };
  }
  expect(answer.type).toContain('application/json');
  const { code, message, detail } = JSON.parse(answer.bytes.toString('utf8')) as Record<
    string,
    unknown
  >;
  expect(detail).toBe(message);
  return { code: code as number, message: message as string };
}

describeEachDatabase(
  'POST /v1/traces refused before the route runs (BODY_LIMIT_BYTES=1024)',
  (ctx) => {
    const refusals = [
      [
        'a declared Content-Length over the limit',
        {},
        413,
        8,
        'Request body too large: the limit is 1024 bytes',
      ],
      ['an unknown Content-Encoding', { 'content-encoding': 'zstd' }, 415, 3, UNSUPPORTED_CODING],
      [
        'a nested Content-Encoding',
        { 'content-encoding': 'gzip, gzip' },
        415,
        3,
        UNSUPPORTED_CODING,
      ],
    ] as const;
    const types = [
      ['application/x-protobuf', 'application/x-protobuf'],
      ['application/json', 'application/json'],
    ] as const;

    describe.each(types)('in %s', (contentType, answerType) => {
      it.each(refusals)(
        'answers %s with a google.rpc.Status, status and headers as before',
        async (_case, headers, status, code, message) => {
          const alice = await createUser(ctx());
          // Over the limit only for the first case; the others fail on their coding alone.
          const body = Buffer.alloc(status === 413 ? 2048 : 16, 1);
          const answer = await post(ctx(), body, {
            'x-api-key': alice.key,
            'content-type': contentType,
            ...headers,
          });
          expect(answer.status).toBe(status);
          expect(answer.type).toContain(answerType);
          expect(statusOf(answer)).toEqual({ code, message });
          if (status === 415) {
            expect(answer.headers.get('accept-encoding')).toBe('gzip, deflate, br');
          }
          expect(await count(ctx(), 'span')).toBe(0);
        },
      );
    });

    it('answers a JSON charset other than UTF-8 with a JSON google.rpc.Status', async () => {
      const answer = await post(ctx(), '{}', {
        'content-type': 'application/json; charset=latin1',
      });
      expect(answer.status).toBe(415);
      expect(statusOf(answer)).toEqual({ code: 3, message: 'Request body must be UTF-8 JSON' });
    });

    it('answers another method with 405, Allow: POST and a google.rpc.Status', async () => {
      const answer = await post(ctx(), undefined, {}, { method: 'GET' });
      expect(answer.status).toBe(405);
      expect(answer.headers.get('allow')).toBe('POST');
      expect(statusOf(answer)).toEqual({ code: 12, message: 'Method Not Allowed' });
    });

    it('leaves the answers of the other routes {"detail"} for the same refusals', async () => {
      const alice = await createUser(ctx());
      const headers = { 'x-api-key': alice.key, 'content-type': 'application/json' };
      const tooLarge = await post(ctx(), Buffer.alloc(2048, 1), headers, { path: TRACES });
      expect(tooLarge.status).toBe(413);
      expect(JSON.parse(tooLarge.bytes.toString('utf8'))).toEqual({
        detail: 'Request body too large: the limit is 1024 bytes',
      });
      const nested = await post(
        ctx(),
        '{}',
        { ...headers, 'content-encoding': 'gzip, gzip' },
        {
          path: TRACES,
        },
      );
      expect(nested.status).toBe(415);
      expect(nested.headers.get('accept-encoding')).toBe('gzip, deflate, br');
      expect(JSON.parse(nested.bytes.toString('utf8'))).toEqual({ detail: UNSUPPORTED_CODING });
      const wrongMethod = await post(ctx(), undefined, {}, { path: TRACES, method: 'PUT' });
      expect(wrongMethod.status).toBe(405);
      expect(JSON.parse(wrongMethod.bytes.toString('utf8'))).toEqual({
        detail: 'Method Not Allowed',
      });
    });
  },
  { env: { BODY_LIMIT_BYTES: '1024' } },
);

const postgres = testDatabases().find((database) => database.name === 'postgres');
(postgres ? describe : describe.skip)('POST /v1/traces at two replicas at once [postgres]', () => {
  let first: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    first = await startTestApp(postgres!);
    second = await startTestApp(postgres!);
  });
  afterAll(async () => {
    await second?.app.close();
    await first?.close();
  });

  it('stores every trace whole when each replica receives half of every run at once', async () => {
    const alice = await createUser(first);
    const headers = { 'x-api-key': alice.key };
    const runs: ReturnType<typeof langflowRun>[] = [];
    // Many rounds of simultaneous requests (serialized in-process, so that they leave together):
    // one replica gets the roots and the models, the other the inputs and the tools.
    for (let round = 0; round < 20; round++) {
      const batch = Array.from({ length: 4 }, () => langflowRun(randomUUID()));
      runs.push(...batch);
      const answers = await Promise.all([
        post(first, protobufBody(batch.flatMap((run) => [run.spans[0], run.spans[2]])), {
          ...headers,
          'content-type': 'application/x-protobuf',
        }),
        post(second, jsonBody(batch.flatMap((run) => [run.spans[1], run.spans[3]])), {
          ...headers,
          'content-type': 'application/json',
        }),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    }
    expect(await count(first, 'otlp_held_span')).toBe(0);
    expect(await count(first, 'span')).toBe(runs.length * 4);
    for (const run of runs) {
      const detail = await first.api.get(`${TRACES}/${traceUuidOf(run.traceId)}`, {
        key: alice.key,
      });
      expect(detail.body).toEqual(expectedRunDetail(run));
    }
  });
});

(postgres ? describe : describe.skip)(
  'POST /v1/traces at two replicas at once with OTLP_MAX_HELD_SPANS=5 [postgres]',
  () => {
    let first: TestApp;
    let second: TestApp;
    beforeAll(async () => {
      first = await startTestApp(postgres!, { OTLP_MAX_HELD_SPANS: '5' });
      second = await startTestApp(postgres!, { OTLP_MAX_HELD_SPANS: '5' });
    });
    afterAll(async () => {
      await second?.app.close();
      await first?.close();
    });

    it('holds no more than the cap when two replicas hold spans of one user at once', async () => {
      // Each round, a new user sends a trace of 3 held spans to each replica at once: one fits,
      // the other is refused, whichever replica wins.
      for (let round = 0; round < 20; round++) {
        const user = await createUser(first);
        const answers = await Promise.all(
          [first, second].map((replica) =>
            post(replica, protobufBody(orphans(3)), {
              'x-api-key': user.key,
              'content-type': 'application/x-protobuf',
            }),
          ),
        );
        expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
        const rejected = answers.map((answer) =>
          answer.bytes.length === 0
            ? 0
            : Number(
                ProtobufTraceSerializer.deserializeResponse(answer.bytes).partialSuccess
                  ?.rejectedSpans,
              ),
        );
        expect(rejected.sort()).toEqual([0, 3]);
        const held = await first.dataSource.getRepository(HeldSpan).countBy({ userId: user.id });
        expect(held).toBe(3);
      }
    });
  },
);
