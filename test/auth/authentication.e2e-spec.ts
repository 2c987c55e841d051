import { createHash, randomUUID } from 'node:crypto';
import { ApiKey } from '../../src/auth/api-key.entity';
import { User } from '../../src/auth/user.entity';
import { UsersService } from '../../src/auth/users.service';
import { messageInput } from '../factories/messages';
import { RequestOptions } from '../support/api-client';
import { createUser } from '../factories/users';
import { ADMIN_KEY, describeEachDatabase } from '../support/test-app';

const MISSING = { detail: 'An API key must be passed as query or header' };
const INVALID = { detail: 'Invalid or missing API key' };
const MESSAGES = '/api/v1/monitor/messages';

/** The three ways the contract lets a key come. */
function everyWay(key: string): RequestOptions[] {
  return [
    { headers: { 'x-api-key': key } },
    { query: { 'x-api-key': key } },
    { headers: { authorization: `Bearer ${key}` } },
  ];
}

describeEachDatabase('authentication', (ctx) => {
  describe('a valid key', () => {
    it('is accepted in the x-api-key header', async () => {
      const alice = await createUser(ctx());
      const response = await ctx().api.get(MESSAGES, { headers: { 'x-api-key': alice.key } });
      expect(response.status).toBe(200);
      expect(response.body).toEqual([]);
    });

    it('is accepted in the x-api-key query parameter', async () => {
      const alice = await createUser(ctx());
      const response = await ctx().api.get(MESSAGES, { query: { 'x-api-key': alice.key } });
      expect(response.status).toBe(200);
      expect(response.body).toEqual([]);
    });

    it('is accepted as Authorization: Bearer', async () => {
      const alice = await createUser(ctx());
      const response = await ctx().api.get(MESSAGES, {
        headers: { authorization: `Bearer ${alice.key}` },
      });
      expect(response.status).toBe(200);
      expect(response.body).toEqual([]);
    });

    it('identifies its user whichever way it comes: each sees only their own messages', async () => {
      const alice = await createUser(ctx());
      const bob = await createUser(ctx());
      const created = await ctx().api.post(MESSAGES, {
        headers: { authorization: `Bearer ${alice.key}` },
        body: [messageInput({ session_id: 'alice-session' })],
      });
      expect(created.status).toBe(201);

      for (const options of everyWay(alice.key)) {
        const response = await ctx().api.get(MESSAGES, options);
        expect(response.status).toBe(200);
        expect(response.body.map((m: any) => m.id)).toEqual([created.body[0].id]);
      }
      const asBob = await ctx().api.get(MESSAGES, { query: { 'x-api-key': bob.key } });
      expect(asBob.status).toBe(200);
      expect(asBob.body).toEqual([]);
    });
  });

  describe('without a key', () => {
    it('answers 403 with the "must be passed" sentence', async () => {
      const response = await ctx().api.get(MESSAGES);
      expect(response.status).toBe(403);
      expect(response.body).toEqual(MISSING);
    });

    it('treats an Authorization header of another scheme as no key', async () => {
      const alice = await createUser(ctx());
      const response = await ctx().api.get(MESSAGES, {
        headers: { authorization: `Basic ${Buffer.from(`alice:${alice.key}`).toString('base64')}` },
      });
      expect(response.status).toBe(403);
      expect(response.body).toEqual(MISSING);
    });

    it('refuses every /api/v1 route listed in /openapi.json', async () => {
      const document = await ctx().api.get('/openapi.json');
      expect(document.status).toBe(200);
      const routes: [string, string][] = [];
      for (const [path, operations] of Object.entries<Record<string, unknown>>(
        document.body.paths,
      )) {
        for (const method of Object.keys(operations)) {
          if (path.startsWith('/api/v1/')) {
            routes.push([method.toUpperCase(), path.replace(/\{[^}]+\}/g, randomUUID())]);
          }
        }
      }
      // At least the rename, the ingest and the three key routes.
      expect(routes.length).toBeGreaterThanOrEqual(5);
      expect(routes).toContainEqual(['PATCH', expect.stringMatching(/^\/api\/v1\/monitor\//)]);
      expect(routes).toContainEqual(['DELETE', expect.stringMatching(/^\/api\/v1\/api_key\//)]);

      for (const [method, path] of routes) {
        const body = method === 'GET' ? undefined : [];
        const response = await ctx().api.request(method, path, { body });
        expect({ method, path, status: response.status, body: response.body }).toEqual({
          method,
          path,
          status: 403,
          body: MISSING,
        });
      }
    });
  });

  describe('a key that does not authenticate', () => {
    it('answers 403 "Invalid or missing API key" for an unknown key of the right form', async () => {
      await createUser(ctx());
      const unknown = `sk-${'x'.repeat(43)}`;
      for (const options of everyWay(unknown)) {
        const response = await ctx().api.get(MESSAGES, options);
        expect(response.status).toBe(403);
        expect(response.body).toEqual(INVALID);
      }
    });

    it('answers 403 for a key that is not even of the right form', async () => {
      for (const key of ['nonsense', 'sk-', "sk-' OR 1=1 --", ADMIN_KEY.toUpperCase()]) {
        const response = await ctx().api.get(MESSAGES, { key });
        expect(response.status).toBe(403);
        expect(response.body).toEqual(INVALID);
      }
    });

    it('answers 403 for a revoked key, while the user’s other keys keep working', async () => {
      const alice = await createUser(ctx());
      const second = await ctx().api.post('/api/v1/api_key/', {
        key: alice.key,
        body: { name: 'second' },
      });
      expect(second.status).toBe(201);
      const list = await ctx().api.get('/api/v1/api_key/', { key: alice.key });
      const first = list.body.api_keys.find((k: any) => k.id !== second.body.id);

      const revoked = await ctx().api.delete(`/api/v1/api_key/${first.id}`, {
        key: second.body.api_key,
      });
      expect(revoked.status).toBe(204);

      const refused = await ctx().api.get(MESSAGES, { key: alice.key });
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual(INVALID);
      const accepted = await ctx().api.get(MESSAGES, { key: second.body.api_key });
      expect(accepted.status).toBe(200);
    });

    it('answers 403 for every key of an inactive user, whichever way it comes', async () => {
      const alice = await createUser(ctx());
      const bob = await createUser(ctx());
      await ctx().app.get(UsersService).deactivate(alice.username);

      for (const options of everyWay(alice.key)) {
        const response = await ctx().api.get(MESSAGES, options);
        expect(response.status).toBe(403);
        expect(response.body).toEqual(INVALID);
      }
      const other = await ctx().api.get(MESSAGES, { key: bob.key });
      expect(other.status).toBe(200);
    });
  });

  describe('runs before validation', () => {
    it('answers 403, not 422, to a rename without a key and without new_session_id', async () => {
      const response = await ctx().api.patch(`${MESSAGES}/session/some-session`);
      expect(response.status).toBe(403);
      expect(response.body).toEqual(MISSING);
    });

    it('answers 403, not 422, to a rename with a bad key and an over-long new_session_id', async () => {
      const response = await ctx().api.patch(`${MESSAGES}/session/some-session`, {
        key: `sk-${'y'.repeat(40)}`,
        query: { new_session_id: 'x'.repeat(300) },
      });
      expect(response.status).toBe(403);
      expect(response.body).toEqual(INVALID);
    });

    it('answers 403, not 422, to an ingest without a key and with an invalid body', async () => {
      const response = await ctx().api.post(MESSAGES, { body: [{ unknown_field: true }] });
      expect(response.status).toBe(403);
      expect(response.body).toEqual(MISSING);
    });

    it('answers 403, not 422, to malformed JSON sent without a key', async () => {
      const response = await ctx().api.post(MESSAGES, { rawBody: '[{"text": ' });
      expect(response.status).toBe(403);
      expect(response.body).toEqual(MISSING);
    });

    it('answers 403, not 422, to a malformed path id without a key', async () => {
      const message = await ctx().api.get(`${MESSAGES}/not-a-uuid`);
      expect(message.status).toBe(403);
      expect(message.body).toEqual(MISSING);
      const key = await ctx().api.delete('/api/v1/api_key/not-a-uuid');
      expect(key.status).toBe(403);
      expect(key.body).toEqual(MISSING);
    });

    it('still validates once the key is good', async () => {
      const alice = await createUser(ctx());
      const response = await ctx().api.patch(`${MESSAGES}/session/some-session`, {
        key: alice.key,
      });
      expect(response.status).toBe(422);
      expect(response.body).toEqual({
        detail: [
          { type: 'missing', loc: ['query', 'new_session_id'], msg: 'Field required', input: null },
        ],
      });
    });
  });

  describe('open routes', () => {
    it('GET /health needs no key', async () => {
      const response = await ctx().api.get('/health');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ok' });
    });

    it('GET /health_check needs no key', async () => {
      const response = await ctx().api.get('/health_check');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ok', db: 'ok' });
    });

    it('GET /docs serves Swagger UI without a key', async () => {
      const response = await ctx().api.get('/docs');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(response.text).toContain('swagger-ui');
    });

    it('GET /openapi.json serves the document without a key', async () => {
      const response = await ctx().api.get('/openapi.json');
      expect(response.status).toBe(200);
      expect(response.body.openapi).toMatch(/^3\./);
      expect(Object.keys(response.body.paths)).toContain(
        '/api/v1/monitor/messages/session/{session_id}',
      );
    });

    it('stay open when a wrong key is sent along', async () => {
      const response = await ctx().api.get('/health', { key: 'sk-wrong' });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ok' });
    });
  });

  describe('storage', () => {
    it('keeps only a SHA-256 hash of each key: the plain key is nowhere in the database', async () => {
      const alice = await createUser(ctx());
      const made = await ctx().api.post('/api/v1/api_key/', {
        key: alice.key,
        body: { name: 'made over http' },
      });
      expect(made.status).toBe(201);
      const plainKeys = [alice.key, made.body.api_key as string, ADMIN_KEY];

      const keyRows: Record<string, unknown>[] = await ctx()
        .dataSource.createQueryBuilder()
        .select('*')
        .from(ApiKey, 'k')
        .getRawMany();
      const userRows: Record<string, unknown>[] = await ctx()
        .dataSource.createQueryBuilder()
        .select('*')
        .from(User, 'u')
        .getRawMany();
      expect(keyRows).toHaveLength(3);
      const dump = JSON.stringify([keyRows, userRows]);
      for (const plain of plainKeys) {
        // Neither the key nor its secret part (after "sk-") is stored anywhere.
        expect(dump).not.toContain(plain.slice(3));
      }
      const hashes = keyRows.map((row) => row.key_hash).sort();
      expect(hashes).toEqual(
        plainKeys.map((plain) => createHash('sha256').update(plain).digest('hex')).sort(),
      );
    });
  });
});
