import { ingestSession } from '../factories/messages';
import { createUser } from '../factories/users';
import { describeEachDatabase } from '../support/test-app';

const MISSING = { detail: 'An API key must be passed as query or header' };
const INVALID = { detail: 'Invalid or missing API key' };

/** Every route with a path parameter, with a segment that is not valid percent-encoding. */
const ROUTES: [method: string, path: string, loc: string[]][] = [
  ['GET', '/api/v1/monitor/messages/%E0%A4%A', ['path', 'message_id']],
  ['PUT', '/api/v1/monitor/messages/%zz', ['path', 'message_id']],
  ['PATCH', '/api/v1/monitor/messages/session/a%?new_session_id=b', ['path', 'old_session_id']],
  ['DELETE', '/api/v1/monitor/messages/session/%C3%28', ['path', 'session_id']],
  ['DELETE', '/api/v1/api_key/%FF', ['path', 'id']],
];

describeEachDatabase('a malformed percent-encoding in the path', (ctx) => {
  it.each(ROUTES)('%s %s: 403 without a valid key, then 422', async (method, path, loc) => {
    const alice = await createUser(ctx());
    const kept = await ingestSession(ctx(), alice.key, { sessionId: 'a%', count: 1 });
    const body = method === 'PUT' ? { text: 'changed' } : undefined;

    const none = await ctx().api.request(method, path, { body });
    expect(none.status).toBe(403);
    expect(none.body).toEqual(MISSING);
    const wrong = await ctx().api.request(method, path, { body, key: `sk-${'w'.repeat(40)}` });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toEqual(INVALID);

    const refused = await ctx().api.request(method, path, { body, key: alice.key });
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toEqual([
      {
        type: 'value_error',
        loc,
        msg: 'Value error, not valid percent-encoding',
        input: decodeURIComponent(path.split('/').pop()!.split('?')[0].replace(/%/g, '%25')),
      },
    ]);
    expect((await ctx().api.get('/api/v1/monitor/messages', { key: alice.key })).body).toEqual(
      kept,
    );
  });

  it('in a path no route has is still a 404, with or without a key', async () => {
    const alice = await createUser(ctx());
    for (const key of [undefined, alice.key]) {
      const response = await ctx().api.get('/api/v1/nothing/%E0%A4%A', { key });
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ detail: 'Not Found' });
    }
  });
});
