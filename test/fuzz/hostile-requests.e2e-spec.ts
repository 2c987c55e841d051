import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { ENTITIES } from '../../src/database/entities';
import { ingestSession } from '../factories/messages';
import { createUser, TestUser } from '../factories/users';
import { describeEachDatabase, TestApp } from '../support/test-app';

/*
 * Generated requests from a second tenant (Bob, or nobody, or a wrong key) over every route the
 * OpenAPI document lists and paths it does not: any method, mutated path parameters, queries,
 * headers and bodies (wrong types, huge and deeply nested values, __proto__ and constructor keys,
 * Alice's ids). Every answer must come within the time limit, never be a 5xx, and never carry
 * Alice's data that the request did not itself contain; afterwards every row that existed before
 * is still there, unchanged. Seeded (FUZZ_SEED), FUZZ_RUNS requests per database.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const CONCURRENCY = 8;
const TIMEOUT_MS = 15_000;

interface FuzzRequest {
  method: string;
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  body?: string;
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
      };
    });
}

function describeRequest(request: FuzzRequest): string {
  const body = request.body === undefined ? '' : ` body=${request.body.slice(0, 300)}`;
  return `${request.method} ${request.path} query=${JSON.stringify(request.query)} headers=${JSON.stringify(request.headers)}${body}`;
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
  it(`${RUNS} requests (seed ${SEED}): no 5xx, no hang, no leak, nothing of Alice's changed`, async () => {
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

    const problems: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    async function worker(): Promise<void> {
      while (next < requests.length && problems.length < 20) {
        const request = requests[next];
        next += 1;
        const url = new URL(ctx().api.baseUrl);
        const search = new URLSearchParams(request.query).toString();
        const target = `${ctx().api.baseUrl}${request.path}${search ? `?${search}` : ''}`;
        let status: number;
        let text: string;
        try {
          const response = await fetch(target, {
            method: request.method,
            headers: request.headers,
            body: request.body,
            signal: AbortSignal.timeout(TIMEOUT_MS),
          });
          status = response.status;
          text = await response.text();
        } catch (error) {
          const reason = (error as Error).name === 'TimeoutError' ? 'no answer in time' : error;
          problems.push(`${String(reason)}: ${describeRequest(request)} (${url.host})`);
          continue;
        }
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500) {
          problems.push(`${status} ${text.slice(0, 200)}: ${describeRequest(request)}`);
        }
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

/** The request's text with its percent-encodings undone where they can be. */
function decodeAll(text: string): string {
  try {
    return `${text} ${decodeURIComponent(text.replace(/\+/g, ' '))}`;
  } catch {
    return text;
  }
}
