import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createUser, TestUser } from '../factories/users';
import { testDatabases } from '../support/databases';
import { describeEachDatabase, startTestApp, TestApp } from '../support/test-app';

const TRACES = '/api/v1/monitor/traces';
const at = (ms: number) => new Date(Date.UTC(2026, 10, 24, 13) + ms).toISOString();
const SUMMARY_FIELDS = [
  'id',
  'name',
  'status',
  'startTime',
  'totalLatencyMs',
  'totalTokens',
  'flowId',
  'sessionId',
  'input',
  'output',
];
const SPAN_FIELDS = [
  'id',
  'name',
  'type',
  'status',
  'startTime',
  'endTime',
  'latencyMs',
  'inputs',
  'outputs',
  'error',
  'modelName',
  'tokenUsage',
  'children',
];

/** A valid trace body; override any field (undefined leaves it out). */
function traceInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { flow_id: randomUUID(), name: 'Basic Prompting', spans: [], ...overrides };
}

async function count(testApp: TestApp, table: string, where = ''): Promise<number> {
  const [row] = await testApp.dataSource.query<{ count: string | number }[]>(
    `SELECT COUNT(*) AS "count" FROM "${table}"${where ? ` WHERE ${where}` : ''}`,
  );
  return Number(row.count);
}

/**
 * One chat run as Langflow records it: the input, an agent with two model calls (the first with
 * a tool call inside it), the output. Listed out of order, with secrets in them.
 */
function chatRun(flowId: string) {
  const ids = {
    trace: randomUUID(),
    input: randomUUID(),
    agent: randomUUID(),
    firstCall: randomUUID(),
    tool: randomUUID(),
    secondCall: randomUUID(),
    output: randomUUID(),
  };
  const spans = [
    {
      id: ids.output,
      name: 'Chat Output',
      start_time: at(2100),
      end_time: at(2200),
      inputs: { input_value: 'Final' },
      outputs: { message: 'Bye' },
    },
    {
      id: ids.tool,
      parent_span_id: ids.firstCall,
      name: 'search',
      span_type: 'tool',
      span_kind: 'CLIENT',
      start_time: at(300),
      end_time: at(400),
      inputs: { query: 'weather' },
      outputs: { result: 'sunny' },
      attributes: { total_tokens: 5 },
    },
    {
      id: ids.secondCall,
      parent_span_id: ids.agent,
      name: 'OpenAI gpt-4o-mini',
      span_type: 'llm',
      start_time: at(1100),
      end_time: at(1900),
      attributes: {
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 7,
        'gen_ai.usage.output_tokens': '8',
      },
    },
    {
      id: ids.agent,
      name: 'Agent',
      span_type: 'agent',
      start_time: at(20),
      end_time: at(3000),
      outputs: { response: 'Final' },
    },
    {
      id: ids.input,
      name: 'Chat Input',
      start_time: at(0),
      end_time: at(10),
      inputs: { input_value: 'Hello', api_key: 'sk-proj-abcdefghijklmnop', code: 'import os' },
      outputs: { message: 'Hello' },
    },
    {
      id: ids.firstCall,
      parent_span_id: ids.agent,
      name: 'OpenAI gpt-4o',
      span_type: 'llm',
      start_time: at(100),
      end_time: at(1000),
      latency_ms: 850,
      attributes: {
        model_name: 'gpt-4o',
        prompt_tokens: 10,
        completion_tokens: 20,
        total_tokens: 30,
        openai_api_key: 'sk-live-0123456789abcdef',
      },
    },
  ];
  const body = {
    id: ids.trace,
    flow_id: flowId,
    name: `Basic Prompting - ${flowId}`,
    session_id: 'chat-1',
    spans,
  };
  const summary = {
    id: ids.trace,
    name: `Basic Prompting - ${flowId}`,
    status: 'ok',
    startTime: at(0),
    totalLatencyMs: 3000,
    // The leaves only: the tool (5) and the second call (15); the first call (30) has a child.
    totalTokens: 20,
    flowId,
    sessionId: 'chat-1',
    input: { input_value: 'Hello' },
    // The root that ended last (the agent), not the one that started last (the output).
    output: { response: 'Final' },
  };
  const span = (fields: Record<string, unknown>) => ({
    status: 'ok',
    inputs: null,
    outputs: null,
    error: null,
    modelName: null,
    tokenUsage: null,
    children: [],
    ...fields,
  });
  const tree = [
    span({
      id: ids.input,
      name: 'Chat Input',
      type: 'chain',
      startTime: at(0),
      endTime: at(10),
      latencyMs: 10,
      inputs: { input_value: 'Hello', api_key: 'sk-p...mnop' },
      outputs: { message: 'Hello' },
    }),
    span({
      id: ids.agent,
      name: 'Agent',
      type: 'agent',
      startTime: at(20),
      endTime: at(3000),
      latencyMs: 2980,
      outputs: { response: 'Final' },
      children: [
        span({
          id: ids.firstCall,
          name: 'OpenAI gpt-4o',
          type: 'llm',
          startTime: at(100),
          endTime: at(1000),
          latencyMs: 850,
          modelName: 'gpt-4o',
          tokenUsage: { promptTokens: 10, completionTokens: 20, totalTokens: 30 },
          children: [
            span({
              id: ids.tool,
              name: 'search',
              type: 'tool',
              startTime: at(300),
              endTime: at(400),
              latencyMs: 100,
              inputs: { query: 'weather' },
              outputs: { result: 'sunny' },
              tokenUsage: { promptTokens: 0, completionTokens: 0, totalTokens: 5 },
            }),
          ],
        }),
        span({
          id: ids.secondCall,
          name: 'OpenAI gpt-4o-mini',
          type: 'llm',
          startTime: at(1100),
          endTime: at(1900),
          latencyMs: 800,
          modelName: 'gpt-4o-mini',
          tokenUsage: { promptTokens: 7, completionTokens: 8, totalTokens: 15 },
        }),
      ],
    }),
    span({
      id: ids.output,
      name: 'Chat Output',
      type: 'chain',
      startTime: at(2100),
      endTime: at(2200),
      latencyMs: 100,
      inputs: { input_value: 'Final' },
      outputs: { message: 'Bye' },
    }),
  ];
  return { ids, body, summary, detail: { ...summary, endTime: at(3000), spans: tree } };
}

describeEachDatabase(
  '/api/v1/monitor/traces',
  (ctx) => {
    const post = (user: TestUser, body: unknown) => ctx().api.post(TRACES, { key: user.key, body });
    const list = (user: TestUser, query: Record<string, string | string[]> = {}) =>
      ctx().api.get(TRACES, { key: user.key, query });
    const get = (user: TestUser, id: string) => ctx().api.get(`${TRACES}/${id}`, { key: user.key });

    async function stored(user: TestUser, body: object[]): Promise<any[]> {
      const response = await post(user, body);
      expect(response.status).toBe(201);
      return response.body;
    }

    describe('a run stored and read back', () => {
      it('answers the summary, lists it and serves its span tree, exactly', async () => {
        const alice = await createUser(ctx());
        const run = chatRun(randomUUID());

        const answer = await stored(alice, [run.body]);
        expect(answer).toEqual([run.summary]);
        expect(Object.keys(answer[0])).toEqual(SUMMARY_FIELDS);

        const listed = await list(alice);
        expect(listed.status).toBe(200);
        expect(listed.body).toEqual({ traces: [run.summary], total: 1, pages: 1 });

        const detail = await get(alice, run.ids.trace);
        expect(detail.status).toBe(200);
        expect(detail.body).toEqual(run.detail);
        expect(Object.keys(detail.body)).toEqual([
          ...SUMMARY_FIELDS.slice(0, 4),
          'endTime',
          ...SUMMARY_FIELDS.slice(4),
          'spans',
        ]);
        expect(Object.keys(detail.body.spans[1].children[0])).toEqual(SPAN_FIELDS);
      });

      it('masks secrets and removes code in inputs, outputs and attributes before storing', async () => {
        const alice = await createUser(ctx());
        const run = chatRun(randomUUID());
        await stored(alice, [run.body]);

        const rows = await ctx().dataSource.query<
          { inputs: string | null; outputs: string | null; attributes: string }[]
        >(`SELECT "inputs", "outputs", "attributes" FROM "span"`);
        const all = JSON.stringify(rows);
        expect(rows).toHaveLength(6);
        expect(all).not.toContain('sk-proj-abcdefghijklmnop');
        expect(all).not.toContain('sk-live-0123456789abcdef');
        expect(all).not.toContain('import os');
        const [call] = await ctx().dataSource.query<{ attributes: string }[]>(
          `SELECT "attributes" FROM "span" WHERE "id" = '${run.ids.firstCall}'`,
        );
        expect(JSON.parse(call.attributes)).toEqual({
          model_name: 'gpt-4o',
          prompt_tokens: 10,
          completion_tokens: 20,
          total_tokens: 30,
          openai_api_key: 'sk-l...cdef',
        });
      });

      it('computes the rollups from the spans when left out, and keeps them when given', async () => {
        const alice = await createUser(ctx());
        const flowId = randomUUID();
        const failed = traceInput({
          flow_id: flowId,
          spans: [
            { name: 'A', start_time: at(0), end_time: at(100), outputs: {} },
            { name: 'B', start_time: at(50), end_time: at(400), error: 'boom' },
            { name: 'C', start_time: at(60) },
          ],
        });
        const running = traceInput({
          flow_id: flowId,
          spans: [{ name: 'Chat Input', start_time: at(500), inputs: { input_value: '' } }],
        });
        const given = traceInput({
          id: randomUUID(),
          flow_id: flowId,
          status: 'ok',
          start_time: '2026-11-24T14:00:00+01:00',
          end_time: '2026-11-24T13:00:05Z',
          total_latency_ms: 7,
          total_tokens: 99,
          spans: [{ name: 'A', start_time: at(0), end_time: at(10), status: 'error' }],
        });
        const empty = traceInput({ id: randomUUID(), flow_id: flowId, spans: undefined });
        const before = new Date().toISOString();

        const [a, b, c, d] = await stored(alice, [failed, running, given, empty]);

        expect(a).toMatchObject({
          status: 'error',
          startTime: at(0),
          totalLatencyMs: 400,
          totalTokens: 0,
          input: null,
          // The root that ended last has an empty output: none.
          output: null,
        });
        expect(a.sessionId).toBe(a.id);
        expect((await get(alice, a.id)).body).toMatchObject({
          endTime: at(400),
          spans: [
            { name: 'A', status: 'ok', latencyMs: 100, outputs: {} },
            { name: 'B', status: 'error', error: 'boom', latencyMs: 350 },
            { name: 'C', status: 'unset', endTime: null, latencyMs: 0 },
          ],
        });
        // A span that has not ended, an empty input value: unset, no end, no input.
        expect(b).toMatchObject({
          status: 'unset',
          startTime: at(500),
          totalLatencyMs: 0,
          input: null,
        });
        expect((await get(alice, b.id)).body.endTime).toBeNull();
        expect(c).toEqual({
          id: given.id,
          name: 'Basic Prompting',
          status: 'ok',
          startTime: at(0),
          totalLatencyMs: 7,
          totalTokens: 99,
          flowId,
          sessionId: given.id,
          input: null,
          output: null,
        });
        expect((await get(alice, c.id)).body.endTime).toBe('2026-11-24T13:00:05.000Z');
        expect(d).toMatchObject({
          id: empty.id,
          status: 'unset',
          totalLatencyMs: 0,
          totalTokens: 0,
        });
        expect(d.startTime >= before).toBe(true);
        expect((await get(alice, d.id)).body.spans).toEqual([]);
      });
    });

    describe('GET list', () => {
      async function seed(alice: TestUser, bob: TestUser) {
        const flowA = randomUUID();
        const flowB = randomUUID();
        const make = (
          id: string,
          flowId: string,
          start: number,
          extra: Record<string, unknown> = {},
        ) => traceInput({ id, flow_id: flowId, start_time: at(start), ...extra });
        const ids = Array.from({ length: 6 }, () => randomUUID());
        await stored(alice, [
          make(ids[0], flowA, 0, { name: 'Weather Agent', session_id: 's-1', status: 'ok' }),
          make(ids[1], flowA, 1000, { name: 'weather report', session_id: 's-2', status: 'error' }),
          make(ids[2], flowA, 2000, { name: 'Support 100%', session_id: 's-1', status: 'ok' }),
          make(ids[3], flowB, 3000, { name: 'Support_bot', session_id: 'S-3', status: 'unset' }),
          make(ids[4], flowB, 4000, { name: 'Other', status: 'ok' }),
        ]);
        await stored(bob, [
          make(ids[5], randomUUID(), 5000, { name: 'Weather Agent', session_id: 's-1' }),
        ]);
        return { flowA, flowB, ids };
      }
      const idsOf = (response: { body: { traces: { id: string }[] } }) =>
        response.body.traces.map((trace) => trace.id);

      it('filters by each parameter, and by several at once, only ever over the caller’s traces', async () => {
        const alice = await createUser(ctx());
        const bob = await createUser(ctx());
        const { flowA, flowB, ids } = await seed(alice, bob);

        expect(idsOf(await list(alice))).toEqual([ids[4], ids[3], ids[2], ids[1], ids[0]]);
        expect(idsOf(await list(alice, { flow_id: flowA }))).toEqual([ids[2], ids[1], ids[0]]);
        expect(idsOf(await list(alice, { flow_id: flowB.toUpperCase() }))).toEqual([
          ids[4],
          ids[3],
        ]);
        expect(idsOf(await list(alice, { session_id: 's-1' }))).toEqual([ids[2], ids[0]]);
        expect(idsOf(await list(alice, { status: 'error' }))).toEqual([ids[1]]);
        expect(idsOf(await list(alice, { status: 'unset' }))).toEqual([ids[3]]);
        // Name, id or session, ignoring case; wildcards are literal; trimmed.
        expect(idsOf(await list(alice, { query: '  WEATHER ' }))).toEqual([ids[1], ids[0]]);
        expect(idsOf(await list(alice, { query: '%' }))).toEqual([ids[2]]);
        expect(idsOf(await list(alice, { query: '_' }))).toEqual([ids[3]]);
        expect(idsOf(await list(alice, { query: 's-3' }))).toEqual([ids[3]]);
        expect(idsOf(await list(alice, { query: ids[4].slice(9, 23).toUpperCase() }))).toEqual([
          ids[4],
        ]);
        expect(idsOf(await list(alice, { start_time: at(1000) }))).toEqual([
          ids[4],
          ids[3],
          ids[2],
          ids[1],
        ]);
        expect(idsOf(await list(alice, { end_time: at(1000) }))).toEqual([ids[1], ids[0]]);
        expect(
          idsOf(
            await list(alice, {
              flow_id: flowA,
              session_id: 's-1',
              status: 'ok',
              query: 'support',
              start_time: '2026-11-24T14:00:01+01:00',
              end_time: at(2000),
            }),
          ),
        ).toEqual([ids[2]]);
        expect((await list(alice, { query: '' })).body.total).toBe(5);
        expect((await list(bob, { query: 'weather' })).body).toMatchObject({ total: 1, pages: 1 });
        expect((await list(bob, { flow_id: flowA })).body).toEqual({
          traces: [],
          total: 0,
          pages: 0,
        });
      });

      it('pages newest first, ties by id, with total and pages; page 0 is page 1', async () => {
        const alice = await createUser(ctx());
        const flowId = randomUUID();
        const ids = Array.from({ length: 5 }, () => randomUUID());
        // Two traces start at the same time: the greater id comes first.
        const starts = [0, 1000, 1000, 2000, 3000];
        await stored(
          alice,
          ids.map((id, i) => traceInput({ id, flow_id: flowId, start_time: at(starts[i]) })),
        );
        const tied = [ids[1], ids[2]].sort().reverse();
        const order = [ids[4], ids[3], ...tied, ids[0]];

        const pageOf = (page: string) => list(alice, { size: '2', page });
        expect((await pageOf('1')).body).toMatchObject({ total: 5, pages: 3 });
        expect(idsOf(await pageOf('1'))).toEqual(order.slice(0, 2));
        expect(idsOf(await pageOf('0'))).toEqual(order.slice(0, 2));
        expect(idsOf(await pageOf('2'))).toEqual(order.slice(2, 4));
        expect(idsOf(await pageOf('3'))).toEqual(order.slice(4));
        expect((await pageOf('4')).body).toEqual({ traces: [], total: 5, pages: 3 });
        expect(idsOf(await list(alice))).toEqual(order);
        expect((await list(alice, { size: '200' })).body.pages).toBe(1);
      });

      it('reads a page in the same number of statements whatever its size', async () => {
        const alice = await createUser(ctx());
        const flowId = randomUUID();
        await stored(
          alice,
          Array.from({ length: 20 }, (_, i) => ({ ...chatRun(flowId).body, session_id: `s${i}` })),
        );
        const small = await ctx().countStatements(() => list(alice, { size: '1' }));
        const large = await ctx().countStatements(async () => {
          const response = await list(alice, { size: '20' });
          expect(response.body.traces).toHaveLength(20);
          expect(response.body.traces[19]).toMatchObject({
            totalTokens: 20,
            input: { input_value: 'Hello' },
            output: { response: 'Final' },
          });
        });
        expect(large.count).toBe(small.count);
      });

      it.each([
        [{ flow_id: 'nope' }, 'uuid_parsing', ['query', 'flow_id']],
        [{ status: 'done' }, 'value_error', ['query', 'status']],
        [{ status: ['ok', 'error'] }, 'string_type', ['query', 'status']],
        [{ size: '0' }, 'greater_than_equal', ['query', 'size']],
        [{ size: '201' }, 'less_than_equal', ['query', 'size']],
        [{ size: 'ten' }, 'int_parsing', ['query', 'size']],
        [{ page: '-1' }, 'greater_than_equal', ['query', 'page']],
        [{ query: 'x'.repeat(51) }, 'string_too_long', ['query', 'query']],
        [{ query: 'caf\u00e9' }, 'value_error', ['query', 'query']],
        [{ query: 'a\u0007b' }, 'value_error', ['query', 'query']],
        [{ start_time: 'yesterday' }, 'datetime_parsing', ['query', 'start_time']],
        [{ end_time: '2026-02-30T00:00:00Z' }, 'datetime_parsing', ['query', 'end_time']],
        [{ session_id: 's'.repeat(256) }, 'string_too_long', ['query', 'session_id']],
      ])('refuses %j with a 422', async (query, type, loc) => {
        const alice = await createUser(ctx());
        const response = await list(alice, query);
        expect(response.status).toBe(422);
        expect(response.body.detail).toEqual([expect.objectContaining({ type, loc })]);
      });

      it('accepts a query of 50 characters once trimmed', async () => {
        const alice = await createUser(ctx());
        const response = await list(alice, { query: ` ${'x'.repeat(50)} ` });
        expect(response.status).toBe(200);
      });
    });

    describe('GET one, DELETE', () => {
      it("answers 404 for another user's trace and an unknown one, and 422 for a malformed id", async () => {
        const alice = await createUser(ctx());
        const bob = await createUser(ctx());
        const run = chatRun(randomUUID());
        await stored(alice, [run.body]);

        for (const id of [run.ids.trace, randomUUID()]) {
          const read = await get(bob, id);
          expect(read.status).toBe(404);
          expect(read.body).toEqual({ detail: 'Trace not found' });
          const removed = await ctx().api.delete(`${TRACES}/${id}`, { key: bob.key });
          expect(removed.status).toBe(404);
          expect(removed.body).toEqual({ detail: 'Trace not found' });
        }
        for (const malformed of [
          await get(alice, 'not-a-uuid'),
          await ctx().api.delete(`${TRACES}/not-a-uuid`, { key: alice.key }),
        ]) {
          expect(malformed.status).toBe(422);
          expect(malformed.body.detail).toEqual([
            expect.objectContaining({ type: 'uuid_parsing', loc: ['path', 'trace_id'] }),
          ]);
        }
        expect(await count(ctx(), 'span')).toBe(6);
        expect((await get(alice, run.ids.trace.toUpperCase())).status).toBe(200);
      });

      it('deletes one trace with its spans', async () => {
        const alice = await createUser(ctx());
        const flowId = randomUUID();
        const first = chatRun(flowId);
        const second = chatRun(flowId);
        await stored(alice, [first.body, second.body]);

        const removed = await ctx().api.delete(`${TRACES}/${first.ids.trace}`, { key: alice.key });

        expect(removed.status).toBe(204);
        expect((await get(alice, first.ids.trace)).status).toBe(404);
        expect(await count(ctx(), 'span', `"trace_id" = '${first.ids.trace}'`)).toBe(0);
        expect(await count(ctx(), 'span', `"trace_id" = '${second.ids.trace}'`)).toBe(6);
      });

      it("deletes a flow's traces; another user's or an unknown flow is a 404 and keeps everything", async () => {
        const alice = await createUser(ctx());
        const bob = await createUser(ctx());
        const flowA = randomUUID();
        const flowB = randomUUID();
        await stored(alice, [chatRun(flowA).body, chatRun(flowA).body, chatRun(flowB).body]);
        const removeFor = (user: TestUser, flowId: string) =>
          ctx().api.delete(TRACES, { key: user.key, query: { flow_id: flowId } });

        for (const flowId of [flowA, randomUUID()]) {
          const refused = await removeFor(bob, flowId);
          expect(refused.status).toBe(404);
          expect(refused.body).toEqual({ detail: 'Flow not found' });
        }
        expect(await count(ctx(), 'trace')).toBe(3);

        expect((await removeFor(alice, flowA)).status).toBe(204);
        expect(await count(ctx(), 'trace', `"flow_id" = '${flowA}'`)).toBe(0);
        expect(await count(ctx(), 'trace', `"flow_id" = '${flowB}'`)).toBe(1);
        expect(await count(ctx(), 'span')).toBe(6);
        expect((await removeFor(alice, flowA)).status).toBe(204);
        const missing = await ctx().api.delete(TRACES, { key: alice.key });
        expect(missing.status).toBe(422);
        expect(missing.body.detail).toEqual([
          expect.objectContaining({ type: 'missing', loc: ['query', 'flow_id'] }),
        ]);
      });
    });

    describe('POST refusals', () => {
      it("refuses another user's flow (404) and an existing trace or span id (409), storing nothing", async () => {
        const alice = await createUser(ctx());
        const bob = await createUser(ctx());
        const run = chatRun(randomUUID());
        await stored(alice, [run.body]);

        const foreign = await post(bob, [traceInput(), traceInput({ flow_id: run.body.flow_id })]);
        expect(foreign.status).toBe(404);
        expect(foreign.body).toEqual({ detail: 'Flow not found' });

        const again = await post(alice, [traceInput(), { ...run.body, flow_id: randomUUID() }]);
        expect(again.status).toBe(409);
        expect(again.body).toEqual({ detail: `Trace already exists: ${run.ids.trace}` });

        const span = await post(alice, [
          traceInput({ spans: [{ id: run.ids.tool, name: 'x', start_time: at(0) }] }),
        ]);
        expect(span.status).toBe(409);
        expect(span.body).toEqual({ detail: `Span already exists: ${run.ids.tool}` });

        expect(await count(ctx(), 'trace')).toBe(1);
        expect(await count(ctx(), 'span')).toBe(6);
        expect(await count(ctx(), 'flow')).toBe(1);
      });

      const a = randomUUID();
      const b = randomUUID();
      const span = (fields: Record<string, unknown>) => ({
        name: 'x',
        start_time: at(0),
        ...fields,
      });
      const chain = (length: number) =>
        Array.from({ length }, (_, i) => ({
          id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          parent_span_id:
            i === 0 ? null : `00000000-0000-4000-8000-${String(i - 1).padStart(12, '0')}`,
          name: `level ${i}`,
          start_time: at(i),
        }));
      it.each([
        ['an empty list', [], 'too_short', ['body']],
        [
          'an unknown field',
          [traceInput({ colour: 'blue' })],
          'extra_forbidden',
          ['body', 0, 'colour'],
        ],
        ['no name', [traceInput({ name: undefined })], 'missing', ['body', 0, 'name']],
        ['a bad status', [traceInput({ status: 'done' })], 'value_error', ['body', 0, 'status']],
        [
          'an unknown span field',
          [traceInput({ spans: [span({ colour: 'blue' })] })],
          'extra_forbidden',
          ['body', 0, 'spans', 0, 'colour'],
        ],
        [
          'a span without start',
          [traceInput({ spans: [span({ start_time: undefined })] })],
          'missing',
          ['body', 0, 'spans', 0, 'start_time'],
        ],
        [
          'a bad span type',
          [traceInput({ spans: [span({ span_type: 'magic' })] })],
          'value_error',
          ['body', 0, 'spans', 0, 'span_type'],
        ],
        [
          'spans that are not objects',
          [traceInput({ spans: ['x'] })],
          'dict_type',
          ['body', 0, 'spans', 0],
        ],
        [
          'a parent outside the trace',
          [traceInput({ spans: [span({ parent_span_id: a })] })],
          'value_error',
          ['body', 0, 'spans', 0, 'parent_span_id'],
        ],
        [
          'a cycle',
          [
            traceInput({
              spans: [span({ id: a, parent_span_id: b }), span({ id: b, parent_span_id: a })],
            }),
          ],
          'value_error',
          ['body', 0, 'spans', 0, 'parent_span_id'],
        ],
        [
          'nesting 65 deep',
          [traceInput({ spans: chain(65) })],
          'value_error',
          ['body', 0, 'spans', 64, 'parent_span_id'],
        ],
        [
          'a span id twice',
          [traceInput({ spans: [span({ id: a })] }), traceInput({ spans: [span({ id: a })] })],
          'value_error',
          ['body', 1, 'spans', 0, 'id'],
        ],
        [
          'a trace id twice',
          [traceInput({ id: a }), traceInput({ id: a })],
          'value_error',
          ['body', 1, 'id'],
        ],
        [
          'an end before the start',
          [traceInput({ spans: [span({ end_time: '2026-11-24T12:59:59Z' })] })],
          'value_error',
          ['body', 0, 'spans', 0, 'end_time'],
        ],
        [
          'a negative latency',
          [traceInput({ total_latency_ms: -1 })],
          'greater_than_equal',
          ['body', 0, 'total_latency_ms'],
        ],
        [
          '1001 spans in a trace',
          [traceInput({ spans: Array.from({ length: 1001 }, () => span({})) })],
          'too_long',
          ['body', 0, 'spans'],
        ],
        [
          '5001 spans in a request',
          Array.from({ length: 6 }, (_, i) =>
            traceInput({ spans: Array.from({ length: i === 5 ? 1 : 1000 }, () => span({})) }),
          ),
          'value_error',
          ['body'],
        ],
      ])('refuses %s with a 422 and stores nothing', async (_, body, type, loc) => {
        const alice = await createUser(ctx());
        const response = await post(alice, body);
        expect(response.status).toBe(422);
        expect(response.body.detail).toContainEqual(expect.objectContaining({ type, loc }));
        expect(await count(ctx(), 'trace')).toBe(0);
        expect(await count(ctx(), 'flow')).toBe(0);
      });

      it('takes spans nested 64 deep', async () => {
        const alice = await createUser(ctx());
        const [answer] = await stored(alice, [traceInput({ spans: chain(64) })]);
        let node = (await get(alice, answer.id)).body.spans[0];
        let depth = 1;
        while (node.children.length > 0) {
          node = node.children[0];
          depth += 1;
        }
        expect(depth).toBe(64);
      });

      it('counts the spans stored and those refused with their request in /metrics', async () => {
        const alice = await createUser(ctx());
        const bob = await createUser(ctx());
        const sample = async (outcome: string) => {
          const text = (await ctx().api.get<string>('/metrics')).text;
          const prefix = `monitor_trace_spans_total{source="json",outcome="${outcome}"} `;
          const line = text.split('\n').find((candidate) => candidate.startsWith(prefix));
          return line === undefined ? 0 : Number(line.slice(prefix.length));
        };
        const [storedBefore, rejectedBefore] = [await sample('stored'), await sample('rejected')];
        const run = chatRun(randomUUID());

        await stored(alice, [run.body, traceInput()]);
        expect((await post(bob, [chatRun(run.body.flow_id).body])).status).toBe(404);

        expect(await sample('stored')).toBe(storedBefore + 6);
        expect(await sample('rejected')).toBe(rejectedBefore + 6);
      });

      it('refuses a request without a key', async () => {
        const response = await ctx().api.post(TRACES, { body: [traceInput()] });
        expect(response.status).toBe(403);
      });
    });
  },
  { pgbouncer: true },
);

for (const database of testDatabases()) {
  describe(`trace retention [${database.name}]`, () => {
    let testApp: TestApp;
    beforeAll(async () => {
      testApp = await startTestApp(database, { MAX_TRACES_TO_KEEP: '3' });
    });
    afterAll(async () => {
      await testApp.close();
    });

    it("keeps each flow's traces that started last, with their spans, and never another flow's", async () => {
      const alice = await createUser(testApp);
      const bob = await createUser(testApp);
      const flowId = randomUUID();
      const other = randomUUID();
      const withSpan = (flow: string, start: number) =>
        traceInput({ flow_id: flow, spans: [{ name: 'step', start_time: at(start) }] });
      const post = (user: TestUser, body: object[]) =>
        testApp.api.post(TRACES, { key: user.key, body });

      expect(
        (
          await post(
            bob,
            [0, 1, 2].map((i) => withSpan(other, i)),
          )
        ).status,
      ).toBe(201);
      // Written out of order, in two requests: the newest starts are kept, whatever came last.
      expect(
        (
          await post(
            alice,
            [5, 1, 3].map((i) => withSpan(flowId, i * 1000)),
          )
        ).status,
      ).toBe(201);
      expect(
        (
          await post(
            alice,
            [0, 4].map((i) => withSpan(flowId, i * 1000)),
          )
        ).status,
      ).toBe(201);

      const kept = await testApp.dataSource.query<{ start_time: string }[]>(
        `SELECT "start_time" FROM "trace" WHERE "flow_id" = '${flowId}' ORDER BY "start_time"`,
      );
      expect(kept.map((row) => row.start_time)).toEqual([at(3000), at(4000), at(5000)]);
      expect(await count(testApp, 'trace', `"flow_id" = '${other}'`)).toBe(3);
      // Every span left belongs to a kept trace: the trimmed traces' spans went with them.
      expect(await count(testApp, 'span')).toBe(6);
    });

    it('lets concurrent writers to the same flows all succeed, trimmed exactly', async () => {
      const alice = await createUser(testApp);
      const flowId = randomUUID();
      const other = randomUUID();
      const writers = Array.from({ length: 8 }, (_, w) =>
        testApp.api.post(TRACES, {
          key: alice.key,
          body: Array.from({ length: 4 }, (_, i) =>
            traceInput({ flow_id: (w + i) % 2 === 0 ? flowId : other, start_time: at(w * 10 + i) }),
          ),
        }),
      );
      const statuses = (await Promise.all(writers)).map((response) => response.status);
      expect(statuses).toEqual(Array.from({ length: 8 }, () => 201));
      expect(await count(testApp, 'trace', `"flow_id" = '${flowId}'`)).toBe(3);
      expect(await count(testApp, 'trace', `"flow_id" = '${other}'`)).toBe(3);
    });
  });
}

const postgresUrl = process.env.TEST_DATABASE_URL;
(postgresUrl ? describe : describe.skip)(
  'trace retention under concurrent writers [postgres]',
  () => {
    // A database of the test's own: its deadlock counter then counts only this test's transactions
    // (the service retries a deadlock, so the answers alone would not show one).
    const name = `e2e_trace_deadlock_${randomUUID().slice(0, 8)}`;
    let admin: Client;
    let testApp: TestApp;
    beforeAll(async () => {
      admin = new Client({ connectionString: postgresUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${name}"`);
      const url = new URL(postgresUrl as string);
      url.pathname = `/${name}`;
      testApp = await startTestApp(
        { name: 'postgres', url: url.toString() },
        { MAX_TRACES_TO_KEEP: '10' },
      );
    });
    afterAll(async () => {
      await testApp?.app.close();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    });

    async function deadlocks(): Promise<number> {
      await admin.query('SELECT pg_stat_clear_snapshot()');
      const result = await admin.query<{ deadlocks: string }>(
        'SELECT deadlocks FROM pg_stat_database WHERE datname = $1',
        [name],
      );
      return Number(result.rows[0].deadlocks);
    }

    it('lets writers to two flows in either order all succeed, without a deadlock, trimmed exactly', async () => {
      const alice = await createUser(testApp);
      const flowId = randomUUID();
      const other = randomUUID();
      const before = await deadlocks();

      const writers = Array.from({ length: 12 }, (_, w) =>
        testApp.api.post(TRACES, {
          key: alice.key,
          // Every batch touches both flows, listed first or second depending on the writer.
          body: Array.from({ length: 6 }, (_, i) =>
            traceInput({
              flow_id: (w + i) % 2 === 0 ? flowId : other,
              start_time: at(w * 10 + i),
              spans: [{ name: 'step', start_time: at(w * 10 + i) }],
            }),
          ),
        }),
      );
      const statuses = (await Promise.all(writers)).map((response) => response.status);

      expect(statuses).toEqual(Array.from({ length: 12 }, () => 201));
      expect(await count(testApp, 'trace', `"flow_id" = '${flowId}'`)).toBe(10);
      expect(await count(testApp, 'trace', `"flow_id" = '${other}'`)).toBe(10);
      expect(await count(testApp, 'span')).toBe(20);
      // Statistics reach pg_stat_database asynchronously, within about half a second.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(await deadlocks()).toBe(before);
    });
  },
);
