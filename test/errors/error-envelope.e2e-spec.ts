import { randomUUID } from 'node:crypto';
import { ingestSession, messageInput } from '../factories/messages';
import { createUser } from '../factories/users';
import { testDatabases } from '../support/databases';
import { describeEachDatabase, startTestApp, TestApp } from '../support/test-app';

const MESSAGES = '/api/v1/monitor/messages';
const INTERNAL_ERROR = '{"detail":"Internal server error"}';

/** The contract's 422 item: exactly these four fields. */
function expectValidationShape(body: any): void {
  expect(Array.isArray(body.detail)).toBe(true);
  expect(body.detail.length).toBeGreaterThan(0);
  for (const issue of body.detail) {
    expect(Object.keys(issue).sort()).toEqual(['input', 'loc', 'msg', 'type']);
    expect(typeof issue.type).toBe('string');
    expect(typeof issue.msg).toBe('string');
    expect(['path', 'query', 'body']).toContain(issue.loc[0]);
  }
}

describeEachDatabase('the error envelope', (ctx) => {
  describe('unknown routes: 404 {"detail":"Not Found"}', () => {
    it.each([
      ['GET', '/api/v1/nothing-here'],
      ['GET', '/api/v2/monitor/messages'],
      ['POST', '/api/v1/monitor/sessions/x/y/z'],
      ['DELETE', '/no/such/thing'],
      ['GET', '/'],
      ['GET', '/%E0%A4%A'],
    ])('%s %s, with or without a key', async (method, path) => {
      const alice = await createUser(ctx());

      const anonymous = await ctx().api.request(method, path);
      const authenticated = await ctx().api.request(method, path, { key: alice.key });

      for (const response of [anonymous, authenticated]) {
        expect(response.status).toBe(404);
        expect(response.headers.get('content-type')).toContain('application/json');
        expect(response.text).toBe('{"detail":"Not Found"}');
      }
    });
  });

  describe('a known path with the wrong method: 405 {"detail":"Method Not Allowed"}', () => {
    it.each([
      ['PATCH', MESSAGES, ['GET', 'POST', 'DELETE']],
      ['PUT', MESSAGES, ['GET', 'POST', 'DELETE']],
      ['GET', '/api/v1/monitor/messages/session/some-session', ['PATCH', 'DELETE']],
      ['POST', `${MESSAGES}/${randomUUID()}`, ['GET', 'PUT']],
      ['DELETE', '/health', ['GET']],
    ])('%s %s', async (method, path, allowed) => {
      const alice = await createUser(ctx());

      const response = await ctx().api.request(method, path, {
        key: alice.key,
        body: method === 'GET' ? undefined : [messageInput()],
      });

      expect(response.status).toBe(405);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(response.body).toEqual({ detail: 'Method Not Allowed' });
      const allow = (response.headers.get('allow') ?? '').split(', ');
      expect(allow).toEqual(expect.arrayContaining(allowed));
      expect(allow).not.toContain(method);
    });

    it('changes nothing', async () => {
      const alice = await createUser(ctx());
      const stored = await ingestSession(ctx(), alice.key, { sessionId: 's', count: 2 });

      const response = await ctx().api.patch(MESSAGES, {
        key: alice.key,
        body: { session_id: 'moved' },
      });

      expect(response.status).toBe(405);
      expect((await ctx().api.get(MESSAGES, { key: alice.key })).body).toEqual(stored);
    });
  });

  describe('422: FastAPI\'s list of {"type","loc","msg","input"}', () => {
    it('for a query parameter', async () => {
      const alice = await createUser(ctx());

      const response = await ctx().api.get(MESSAGES, {
        key: alice.key,
        query: { flow_id: 'nope', order_by: 'password' },
      });

      expect(response.status).toBe(422);
      expectValidationShape(response.body);
      expect(response.body.detail.map((issue: any) => issue.loc).sort()).toEqual([
        ['query', 'flow_id'],
        ['query', 'order_by'],
      ]);
    });

    it('for a path parameter', async () => {
      const alice = await createUser(ctx());

      const response = await ctx().api.get(`${MESSAGES}/not-a-uuid`, { key: alice.key });

      expect(response.status).toBe(422);
      expect(response.body).toEqual({
        detail: [
          {
            type: 'uuid_parsing',
            loc: ['path', 'message_id'],
            msg: 'Input should be a valid UUID, invalid length or characters',
            input: 'not-a-uuid',
          },
        ],
      });
    });

    it('for a body field', async () => {
      const alice = await createUser(ctx());

      const response = await ctx().api.post(MESSAGES, {
        key: alice.key,
        body: [{ ...messageInput(), sender: undefined }],
      });

      expect(response.status).toBe(422);
      expect(response.body).toEqual({
        detail: [
          { type: 'missing', loc: ['body', 0, 'sender'], msg: 'Field required', input: null },
        ],
      });
    });

    it('for malformed JSON, only once the caller is authenticated', async () => {
      const alice = await createUser(ctx());

      const anonymous = await ctx().api.post(MESSAGES, { rawBody: '{"a": ' });
      const authenticated = await ctx().api.post(MESSAGES, {
        key: alice.key,
        rawBody: '{"a": ',
      });

      expect(anonymous.status).toBe(403);
      expect(anonymous.body).toEqual({ detail: 'An API key must be passed as query or header' });
      expect(authenticated.status).toBe(422);
      expectValidationShape(authenticated.body);
      expect(authenticated.body.detail).toEqual([
        expect.objectContaining({ type: 'json_invalid', loc: ['body'] }),
      ]);
    });
  });

  describe('403: {"detail": <sentence>}', () => {
    it('without a key, and with an unknown one', async () => {
      const none = await ctx().api.get(MESSAGES);
      const unknown = await ctx().api.get(MESSAGES, {
        key: 'sk-not-a-real-key-000000000000000000000000',
      });
      const malformed = await ctx().api.get(MESSAGES, { key: 'hello' });

      expect(none.status).toBe(403);
      expect(none.body).toEqual({ detail: 'An API key must be passed as query or header' });
      for (const response of [unknown, malformed]) {
        expect(response.status).toBe(403);
        expect(response.body).toEqual({ detail: 'Invalid or missing API key' });
      }
    });
  });
});

/*
 * A database broken in a way the service cannot foresee must give a bare 500, never the driver's
 * message. Each database gets an app of its own, since its table is dropped for good.
 */
for (const database of testDatabases()) {
  describe(`500 without internals [${database.name}]`, () => {
    let testApp: TestApp;
    let key: string;
    let messageId: string;

    beforeAll(async () => {
      testApp = await startTestApp(database);
      const alice = await createUser(testApp);
      key = alice.key;
      const stored = await ingestSession(testApp, key, { sessionId: 'doomed', count: 3 });
      messageId = stored[0].id;
      // The table every message route reads; the users and keys stay, so requests authenticate.
      await testApp.dataSource.query('DROP TABLE "message"');
    });

    afterAll(async () => {
      await testApp?.close();
    });

    const requests: [string, () => Promise<{ status: number; text: string; headers: Headers }>][] =
      [
        ['listing messages', () => testApp.api.get(MESSAGES, { key })],
        [
          'listing with filters',
          () => testApp.api.get(MESSAGES, { key, query: { session_id: 'doomed' } }),
        ],
        ['reading one message', () => testApp.api.get(`${MESSAGES}/${messageId}`, { key })],
        ['ingesting', () => testApp.api.post(MESSAGES, { key, body: [messageInput()] })],
        [
          'renaming a session',
          () =>
            testApp.api.patch(`${MESSAGES}/session/doomed`, {
              key,
              query: { new_session_id: 'saved' },
            }),
        ],
      ];

    it.each(requests)('%s answers exactly {"detail":"Internal server error"}', async (_l, send) => {
      const response = await send();

      expect(response.status).toBe(500);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(response.text).toBe(INTERNAL_ERROR);
    });

    it('keeps serving what does not need the broken table', async () => {
      const health = await testApp.api.get('/health');
      const keys = await testApp.api.get('/api/v1/api_key/', { key });
      const invalid = await testApp.api.get(MESSAGES, { key, query: { flow_id: 'nope' } });

      expect(health.status).toBe(200);
      expect(keys.status).toBe(200);
      expect(invalid.status).toBe(422);
      const again = await testApp.api.get(MESSAGES, { key });
      expect(again.status).toBe(500);
      expect(again.text).toBe(INTERNAL_ERROR);
    });
  });
}
