import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import * as net from 'node:net';
import * as zlib from 'node:zlib';
import { ENTITIES } from '../../src/database/entities';
import { ingestSession } from '../factories/messages';
import { createUser, TestUser } from '../factories/users';
import { databaseTag, testDatabases } from '../support/databases';
import { describeEachDatabase, startTestApp, TestApp } from '../support/test-app';

/*
 * Generated requests from a second tenant (Bob, or nobody, or a wrong key) over every route the
 * OpenAPI document lists and paths it does not: any method, mutated path parameters, queries,
 * headers and bodies (wrong types, huge and deeply nested values, __proto__ and constructor keys,
 * Alice's ids), some of them compressed (validly, cut short, junk under a coding's name, a coding
 * named with no body, two codings, bombs, codings the service does not take), and some sent over
 * a raw connection with framing that does not add up (a Content-Length shorter or longer than
 * the body, or not a number, or twice, or with Transfer-Encoding too). Every answer must come
 * within 10 s, never be a 5xx, and never carry Alice's data that the request did not itself
 * contain; afterwards every row that existed before is still there, unchanged. Then bursts of
 * wrong keys from one address, mixed with valid requests, against an app whose throttle acts.
 * Seeded (FUZZ_SEED): FUZZ_RUNS requests per database, and FUZZ_RAW_RUNS raw ones.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const RAW_RUNS = Number(process.env.FUZZ_RAW_RUNS ?? 200);
const CONCURRENCY = 8;
const TIMEOUT_MS = 10_000;

/** How a body is compressed, or claims to be. */
type Compression =
  | { kind: 'valid' | 'cut' | 'junk' | 'absent' | 'bomb'; coding: Coding }
  | { kind: 'nested'; coding: Coding; outer: Coding }
  | { kind: 'unknown'; name: string };

type Coding = 'gzip' | 'deflate' | 'br';

/** How a raw request's framing lies about its body. */
type Framing =
  | 'shorter'
  | 'longer, then the client stops sending'
  | 'not a number'
  | 'two lengths'
  | 'length and chunked'
  | 'bad chunk';

interface FuzzRequest {
  method: string;
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  /** The body as text, before any compression. */
  body?: string;
  compression?: Compression;
  /** Sent over a raw connection with this framing instead of through fetch. */
  framing?: Framing;
}

const ENCODERS: Record<Coding, (data: Buffer) => Buffer> = {
  gzip: (data) => zlib.gzipSync(data),
  deflate: (data) => zlib.deflateSync(data),
  br: (data) =>
    zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }),
};

/** Small bodies that inflate far past the 10 MiB limit: spaces, and brackets nested too deep. */
const BOMBS = new Map<Coding, Buffer[]>();
function bombs(coding: Coding): Buffer[] {
  let made = BOMBS.get(coding);
  if (!made) {
    made = [0x20, 0x5b].map((byte) => ENCODERS[coding](Buffer.alloc(12 * 1024 * 1024, byte)));
    BOMBS.set(coding, made);
  }
  return made;
}

/** The bytes a request sends as its body, and the Content-Encoding they come with. */
function bodyBytes(request: FuzzRequest): { bytes?: Buffer; encoding?: string } {
  const data = request.body === undefined ? undefined : Buffer.from(request.body);
  const compression = request.compression;
  if (!compression) {
    return { bytes: data };
  }
  if (compression.kind === 'unknown') {
    return { bytes: data, encoding: compression.name };
  }
  const plain = data ?? Buffer.alloc(0);
  const encode = ENCODERS[compression.coding];
  switch (compression.kind) {
    case 'valid':
      return { bytes: encode(plain), encoding: compression.coding };
    case 'cut': {
      const whole = encode(plain);
      return {
        bytes: whole.subarray(0, Math.floor(whole.length / 2)),
        encoding: compression.coding,
      };
    }
    case 'junk':
      return { bytes: plain, encoding: compression.coding };
    case 'absent':
      return { bytes: data && Buffer.alloc(0), encoding: compression.coding };
    case 'bomb':
      return { bytes: bombs(compression.coding)[plain.length % 2], encoding: compression.coding };
    case 'nested':
      return {
        bytes: ENCODERS[compression.outer](encode(plain)),
        encoding: `${compression.coding}, ${compression.outer}`,
      };
  }
}

interface Tenant {
  alice: TestUser;
  bob: TestUser;
  /** Strings of Alice's that Bob must never see unless he sent them himself. */
  secrets: string[];
  messageIds: string[];
  sessionIds: string[];
  flowIds: string[];
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

const QUERY_NAMES = [
  'flow_id',
  'session_id',
  'context_id',
  'sender',
  'sender_name',
  'order_by',
  'order',
  'limit',
  'offset',
  'cursor',
  'new_session_id',
  'on_conflict',
  'page',
  'size',
  'x-api-key',
  '__proto__',
  'constructor',
];

function hostileString(tenant: Tenant): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom(...tenant.messageIds, ...tenant.sessionIds, ...tenant.flowIds),
    fc.uuid(),
    fc.constantFrom(
      '',
      ' ',
      '%',
      '%E0%A4%A',
      '%zz',
      '%00',
      '..',
      '../..',
      '\u0000',
      'a\nb',
      '\u202e',
      '🚀',
      '-1',
      '0',
      '1e309',
      '99999999999999999999',
      'NaN',
      'null',
      'true',
      '[]',
      '{}',
      '__proto__',
      'constructor',
      "' OR 1=1 --",
      'timestamp',
      'password',
    ),
    fc.integer({ min: 1, max: 2000 }).map((length) => 'x'.repeat(length)),
  );
}

/** JSON values of every kind, with the keys that break careless code. */
function hostileJson(tenant: Tenant): fc.Arbitrary<unknown> {
  const key = fc.oneof(
    fc.string({ maxLength: 10 }),
    fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      'flow_id',
      'session_id',
      'text',
      'id',
      'properties',
      'content_blocks',
      'session_metadata',
      'files',
      'name',
      'expires_at',
    ),
  );
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null),
      fc.boolean(),
      fc.double(),
      fc.integer(),
      hostileString(tenant),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    ),
  }));
  return value;
}

/** Bodies as text: JSON of any shape, message-like lists aimed at Alice's ids, deep nesting, junk. */
function hostileBody(tenant: Tenant): fc.Arbitrary<string | undefined> {
  const message = fc.record(
    {
      flow_id: fc.oneof(fc.constantFrom(...tenant.flowIds), fc.uuid(), hostileJson(tenant)),
      session_id: fc.oneof(fc.constantFrom(...tenant.sessionIds), hostileString(tenant)),
      sender: fc.oneof(fc.constant('User'), hostileJson(tenant)),
      sender_name: fc.oneof(fc.constant('User'), hostileJson(tenant)),
      text: fc.oneof(fc.constant('hi'), hostileJson(tenant)),
      id: fc.oneof(fc.constantFrom(...tenant.messageIds), fc.uuid()),
      properties: hostileJson(tenant),
      content_blocks: fc.array(hostileJson(tenant), { maxLength: 3 }),
      duration: fc.oneof(fc.double(), hostileJson(tenant)),
      session_metadata: hostileJson(tenant),
    },
    { requiredKeys: ['flow_id', 'session_id', 'sender', 'sender_name', 'text'] },
  );
  return fc.oneof(
    fc.constant(undefined),
    hostileJson(tenant).map((value) => JSON.stringify(value)),
    fc.array(message, { minLength: 1, maxLength: 3 }).map((value) => JSON.stringify(value)),
    fc
      .array(fc.oneof(fc.constantFrom(...tenant.messageIds, ...tenant.sessionIds), fc.uuid()), {
        maxLength: 5,
      })
      .map((value) => JSON.stringify(value)),
    fc
      .tuple(fc.integer({ min: 1, max: 200_000 }), fc.constantFrom('[', '{"a":'))
      .map(([depth, open]) => open.repeat(depth) + '1' + (open === '[' ? ']' : '}').repeat(depth)),
    fc.constantFrom(
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"x":1}}}',
      '{"text":{"constructor":1}}',
      '[{"__proto__":null}]',
      '{',
      '[1,]',
      '\u0000',
      'null',
      '',
    ),
    fc.string({ maxLength: 50 }),
  );
}

/** A documented route: its method and path template. */
type Route = [method: string, template: string];

function hostileRequest(tenant: Tenant, routes: Route[]): fc.Arbitrary<FuzzRequest> {
  const templates = [...new Set(routes.map(([, template]) => template))];
  const segment = fc.oneof(
    hostileString(tenant).map((value) => encodeURIComponent(value)),
    hostileString(tenant),
  );
  const path = fc.oneof(
    fc
      .tuple(fc.constantFrom(...templates), segment)
      .map(([template, value]) => template.replace(/\{[^}]+\}/g, () => value)),
    fc.constantFrom(...templates).map((template) => template.replace(/\{[^}]+\}/g, 'x')),
    fc.array(segment, { maxLength: 4 }).map((parts) => `/api/v1/${parts.join('/')}`),
  );
  const key = fc.constantFrom<'bob' | 'none' | 'wrong' | 'malformed'>(
    'bob',
    'bob',
    'bob',
    'none',
    'wrong',
    'malformed',
  );
  const via = fc.constantFrom('header', 'bearer', 'query');
  // Mostly a documented method with its route, so that requests get past routing.
  const target = fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom(...routes), segment)
        .map(([[method, template], value]) => ({
          method,
          path: template.replace(/\{[^}]+\}/g, () => value),
        })),
    },
    { weight: 1, arbitrary: fc.record({ method: fc.constantFrom(...METHODS), path }) },
  );
  return fc
    .record({
      target,
      query: fc.array(fc.tuple(fc.constantFrom(...QUERY_NAMES), hostileString(tenant)), {
        maxLength: 4,
      }),
      key,
      via,
      contentType: fc.oneof(
        { weight: 6, arbitrary: fc.constant('application/json') },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'application/json; charset=utf-8',
            'application/json; charset=latin1',
            'text/plain',
            'application/x-www-form-urlencoded',
          ),
        },
      ),
      ifMatch: fc.option(hostileString(tenant), { nil: undefined }),
      body: hostileBody(tenant),
      compression: fc.oneof(
        { weight: 5, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: compression() },
      ),
    })
    .map((generated) => {
      const headers: Record<string, string> = { 'content-type': generated.contentType };
      const query = [...generated.query];
      const plainKey =
        generated.key === 'bob'
          ? tenant.bob.key
          : generated.key === 'wrong'
            ? `sk-${'q'.repeat(43)}`
            : generated.key === 'malformed'
              ? 'not a key'
              : undefined;
      if (plainKey !== undefined) {
        if (generated.via === 'header') {
          headers['x-api-key'] = plainKey;
        } else if (generated.via === 'bearer') {
          headers.authorization = `Bearer ${plainKey}`;
        } else {
          query.push(['x-api-key', plainKey]);
        }
      }
      if (generated.ifMatch !== undefined) {
        headers['if-match'] = generated.ifMatch.replace(/[^\x20-\x7e]/g, '');
      }
      const hasBody =
        !['GET', 'HEAD'].includes(generated.target.method) && generated.body !== undefined;
      return {
        method: generated.target.method,
        path: generated.target.path,
        query,
        headers,
        body: hasBody ? generated.body : undefined,
        // fetch sends no body with GET or HEAD: a coding named on no body is still worth sending.
        compression:
          hasBody || generated.compression?.kind === 'absent' ? generated.compression : undefined,
      };
    });
}

function compression(): fc.Arbitrary<Compression> {
  const coding = fc.constantFrom<Coding>('gzip', 'deflate', 'br');
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('valid' as const), coding }) },
    {
      weight: 6,
      arbitrary: fc.record({ kind: fc.constantFrom('cut' as const, 'junk' as const), coding }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('absent' as const), coding }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('bomb' as const), coding }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('nested' as const), coding, outer: coding }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('unknown' as const),
        name: fc.constantFrom('zstd', 'compress', 'x-gzip, gzip', 'identity, br', 'GZIP ', ''),
      }),
    },
  );
}

function framing(): fc.Arbitrary<Framing> {
  return fc.constantFrom<Framing>(
    'shorter',
    'longer, then the client stops sending',
    'not a number',
    'two lengths',
    'length and chunked',
    'bad chunk',
  );
}

function describeRequest(request: FuzzRequest): string {
  const body = request.body === undefined ? '' : ` body=${request.body.slice(0, 300)}`;
  const compression = request.compression
    ? ` compression=${JSON.stringify(request.compression)}`
    : '';
  const framing = request.framing ? ` framing=${request.framing}` : '';
  return `${request.method} ${request.path} query=${JSON.stringify(request.query)} headers=${JSON.stringify(request.headers)}${compression}${framing}${body}`;
}

/** What one request got: its status and answer text, or why there was none. */
type Outcome = { status: number; text: string } | { problem: string };

/** Sends a request through fetch, or over a raw connection when its framing is to lie. */
async function send(baseUrl: string, request: FuzzRequest): Promise<Outcome> {
  const search = new URLSearchParams(request.query).toString();
  const target = `${baseUrl}${request.path}${search ? `?${search}` : ''}`;
  const { bytes, encoding } = bodyBytes(request);
  const headers = {
    ...request.headers,
    ...(encoding === undefined ? {} : { 'content-encoding': encoding }),
  };
  if (request.framing) {
    return sendRaw(target, request.method, headers, bytes ?? Buffer.from('{}'), request.framing);
  }
  try {
    const response = await fetch(target, {
      method: request.method,
      headers,
      body: bytes,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? 'no answer in time' : error;
    return { problem: String(reason) };
  }
}

/**
 * Writes the request over a socket of its own with the given framing, and waits for a final
 * status line (a 100 Continue is not one). Node's parser answers 400 to framing it cannot take;
 * a client that stops sending short of its declared length half-closes the connection, so that
 * the server knows no more is coming.
 */
function sendRaw(
  target: string,
  method: string,
  headers: Record<string, string>,
  body: Buffer,
  framing: Framing,
): Promise<Outcome> {
  const url = new URL(target);
  const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
  for (const [name, value] of Object.entries(headers)) {
    lines.push(`${name}: ${value.replace(/[^\x20-\x7e]/g, '')}`);
  }
  let payload = body;
  let halfClose = false;
  switch (framing) {
    case 'shorter':
      lines.push(`Content-Length: ${Math.floor(body.length / 2)}`);
      break;
    case 'longer, then the client stops sending':
      lines.push(`Content-Length: ${body.length + 1 + (body.length % 5000)}`);
      halfClose = true;
      break;
    case 'not a number':
      lines.push(`Content-Length: ${['abc', '-1', '1 2', '+5', '0x10', ''][body.length % 6]}`);
      break;
    case 'two lengths':
      lines.push(`Content-Length: ${body.length}`, `Content-Length: ${body.length + 1}`);
      break;
    case 'length and chunked':
      lines.push(`Content-Length: ${body.length}`, 'Transfer-Encoding: chunked');
      payload = Buffer.concat([
        Buffer.from(`${body.length.toString(16)}\r\n`),
        body,
        Buffer.from('\r\n0\r\n\r\n'),
      ]);
      break;
    case 'bad chunk':
      lines.push('Transfer-Encoding: chunked');
      payload = Buffer.concat([
        Buffer.from(`${(body.length + 7).toString(16)}\r\n`),
        body,
        Buffer.from('\r\nzz\r\n'),
      ]);
      halfClose = true;
      break;
  }
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname);
    let text = '';
    const finish = (outcome: Outcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ problem: 'no answer in time' }), TIMEOUT_MS);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const final = /^HTTP\/1\.1 ([2-5]\d\d) /m.exec(text);
      if (final) {
        finish({ status: Number(final[1]), text });
      }
    });
    socket.on('close', () =>
      finish({ problem: `closed without an answer: ${JSON.stringify(text)}` }),
    );
    socket.on('connect', () => {
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      socket.write(payload);
      if (halfClose) {
        socket.end();
      }
    });
  });
}

/** Every row of every table, as comparable text (the time a key was last used may move). */
async function snapshot(testApp: TestApp): Promise<string[]> {
  const rows: string[] = [];
  for (const entity of ENTITIES) {
    const repository = testApp.dataSource.getRepository(entity);
    for (const row of await repository.find()) {
      const { lastUsedAt: _lastUsedAt, ...kept } = row as unknown as Record<string, unknown>;
      rows.push(`${repository.metadata.tableName} ${JSON.stringify(kept)}`);
    }
  }
  return rows.sort();
}

describeEachDatabase('generated hostile requests from a second tenant', (ctx) => {
  it(`${RUNS} requests and ${RAW_RUNS} raw ones (seed ${SEED}): no 5xx, no hang, no leak, nothing of Alice's changed`, async () => {
    const alice = await createUser(ctx());
    const bob = await createUser(ctx());
    const marker = `alice-secret-${randomUUID()}`;
    const flowId = randomUUID();
    const stored = [
      ...(await ingestSession(ctx(), alice.key, { sessionId: `${marker}-a`, flowId, count: 3 })),
      ...(await ingestSession(ctx(), alice.key, { sessionId: 'default', flowId, count: 2 })),
    ];
    // Text that only Alice's messages hold.
    await ctx().api.put(`/api/v1/monitor/messages/${stored[0].id}`, {
      key: alice.key,
      body: { text: `${marker} text`, properties: { note: marker } },
    });
    const tenant: Tenant = {
      alice,
      bob,
      secrets: [marker, alice.key, ...stored.map((message) => message.id as string)],
      messageIds: stored.map((message) => message.id as string),
      sessionIds: [`${marker}-a`, 'default'],
      flowIds: [flowId],
    };
    const before = await snapshot(ctx());

    const document = (await ctx().api.get('/openapi.json')).body;
    const routes: Route[] = Object.entries<Record<string, unknown>>(document.paths).flatMap(
      ([template, operations]) =>
        Object.keys(operations).map((method): Route => [method.toUpperCase(), template]),
    );
    const requests = fc.sample(hostileRequest(tenant, routes), { seed: SEED, numRuns: RUNS });
    const raw = fc.sample(fc.tuple(hostileRequest(tenant, routes), framing()), {
      seed: SEED + 1,
      numRuns: RAW_RUNS,
    });
    // Raw requests go through a socket each; every method may carry a body there.
    requests.push(...raw.map(([request, lie]) => ({ ...request, framing: lie })));

    const problems: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    async function worker(): Promise<void> {
      while (next < requests.length && problems.length < 20) {
        const request = requests[next];
        next += 1;
        const outcome = await send(ctx().api.baseUrl, request);
        if ('problem' in outcome) {
          problems.push(`${outcome.problem}: ${describeRequest(request)}`);
          continue;
        }
        const { status, text } = outcome;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500) {
          problems.push(`${status} ${text.slice(0, 200)}: ${describeRequest(request)}`);
        }
        const search = new URLSearchParams(request.query).toString();
        const sent = `${request.path} ${search} ${JSON.stringify(request.headers)} ${request.body ?? ''}`;
        const leaked = tenant.secrets.filter(
          (secret) => text.includes(secret) && !decodeAll(sent).includes(secret),
        );
        if (leaked.length > 0) {
          problems.push(`leaked ${leaked.join(', ')}: ${describeRequest(request)}`);
        }
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));

    console.log(`fuzz statuses: ${JSON.stringify([...statuses].sort((a, b) => a[0] - b[0]))}`);
    expect(problems).toEqual([]);
    // Bob may have made rows of his own; every row that was there is still there, unchanged.
    const after = new Set(await snapshot(ctx()));
    expect(before.filter((row) => !after.has(row))).toEqual([]);
    // The requests reached the routes: some were accepted, some refused for each reason.
    for (const expected of [200, 403, 404, 422]) {
      expect(statuses.get(expected) ?? 0).toBeGreaterThan(0);
    }
  });
});

/*
 * The throttle acting: an app that lets one address fail authentication only a few times a minute,
 * bursts of wrong keys (some with hostile and compressed bodies) from this one address, mixed with
 * requests with valid keys. What a valid key gets while its address is blocked is the throttle's
 * policy to decide; what holds under any policy is asserted: every request is answered within
 * 10 s, none with a 5xx, the throttle refused some, and nothing of Alice's changed.
 */
for (const database of testDatabases()) {
  describe(`bursts of wrong keys from one address under the throttle [${databaseTag(database)}]`, () => {
    let testApp: TestApp | undefined;

    beforeAll(async () => {
      testApp = await startTestApp(database, { AUTH_FAILURES_PER_MINUTE: '5' });
    });

    afterAll(async () => {
      await testApp?.close();
    });

    it("every request answered within 10 s, no 5xx, nothing of Alice's changed", async () => {
      const app = testApp!;
      const alice = await createUser(app);
      const bob = await createUser(app);
      const stored = await ingestSession(app, alice.key, { sessionId: 'alice-session', count: 3 });
      const before = await snapshot(app);
      const messages = '/api/v1/monitor/messages';
      const ids = stored.map((message) => message.id as string);
      const wrong = (index: number): FuzzRequest => {
        const key = index % 2 === 0 ? `sk-${'z'.repeat(43)}` : 'not a key';
        const targets: FuzzRequest[] = [
          { method: 'GET', path: messages, query: [], headers: {} },
          { method: 'DELETE', path: messages, query: [], headers: {}, body: JSON.stringify(ids) },
          {
            method: 'PUT',
            path: `${messages}/${ids[0]}`,
            query: [],
            headers: {},
            body: '{"text":"taken over"}',
            compression: { kind: 'junk', coding: 'gzip' },
          },
          {
            method: 'PATCH',
            path: `${messages}/session/alice-session`,
            query: [['new_session_id', 'stolen']],
            headers: {},
          },
          {
            method: 'POST',
            path: messages,
            query: [],
            headers: {},
            body: '[{}]',
            compression: { kind: 'bomb', coding: 'br' },
          },
        ];
        const target = targets[index % targets.length];
        return {
          ...target,
          headers: { 'content-type': 'application/json', 'x-api-key': key },
        };
      };
      const valid = (index: number): FuzzRequest =>
        index % 2 === 0
          ? {
              method: 'GET',
              path: messages,
              query: [],
              headers: { 'x-api-key': alice.key },
            }
          : {
              method: 'POST',
              path: messages,
              query: [],
              headers: { 'content-type': 'application/json', 'x-api-key': bob.key },
              body: JSON.stringify([
                {
                  flow_id: randomUUID(),
                  session_id: 'bob',
                  sender: 'User',
                  sender_name: 'User',
                  text: 'hi',
                },
              ]),
              compression: { kind: 'valid', coding: 'gzip' },
            };
      const problems: string[] = [];
      const statuses = new Map<number, number>();
      for (let burst = 0; burst < 4; burst += 1) {
        const requests = [
          ...Array.from({ length: 12 }, (_, index) => wrong(burst * 12 + index)),
          ...Array.from({ length: 4 }, (_, index) => valid(index)),
        ];
        const outcomes = await Promise.all(
          requests.map((request) => send(app.api.baseUrl, request)),
        );
        outcomes.forEach((outcome, index) => {
          if ('problem' in outcome) {
            problems.push(`${outcome.problem}: ${describeRequest(requests[index])}`);
            return;
          }
          statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
          if (outcome.status >= 500) {
            problems.push(`${outcome.status}: ${describeRequest(requests[index])}`);
          }
        });
      }
      expect(problems).toEqual([]);
      expect(statuses.get(429) ?? 0).toBeGreaterThan(0);
      const after = new Set(await snapshot(app));
      expect(before.filter((row) => !after.has(row))).toEqual([]);
    });
  });
}

/** The request's text with its percent-encodings undone where they can be. */
function decodeAll(text: string): string {
  try {
    return `${text} ${decodeURIComponent(text.replace(/\+/g, ' '))}`;
  } catch {
    return text;
  }
}
