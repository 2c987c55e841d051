import { randomUUID } from 'node:crypto';
import { ApiKey } from '../../src/auth/api-key.entity';
import { createUser } from '../factories/users';
import { ADMIN_KEY, describeEachDatabase } from '../support/test-app';

const KEYS = '/api/v1/api_key/';
const key = (id: string) => `/api/v1/api_key/${id}`;
const KEY_FORMAT = /^sk-[A-Za-z0-9_-]{32,}$/;
const RFC3339_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const INVALID = { detail: 'Invalid or missing API key' };
const NOT_FOUND = { detail: 'API key not found' };

describeEachDatabase(
  'API keys over HTTP',
  (ctx) => {
    /** Whether a key is let in, judged by a real authenticated request. */
    async function works(plainKey: string): Promise<boolean> {
      const response = await ctx().api.get('/api/v1/monitor/messages', { key: plainKey });
      if (response.status === 403) {
        expect(response.body).toEqual(INVALID);
        return false;
      }
      expect(response.status).toBe(200);
      return true;
    }

    async function storedKeyIds(userId: string): Promise<string[]> {
      const rows = await ctx().dataSource.getRepository(ApiKey).findBy({ userId });
      return rows.map((row) => row.id).sort();
    }

    describe('GET /api/v1/api_key/', () => {
      it("lists the caller's keys, and only theirs, without secrets or hashes", async () => {
        const alice = await createUser(ctx());
        const bob = await createUser(ctx());
        const second = await ctx().api.post(KEYS, { key: alice.key, body: { name: 'second' } });
        expect(second.status).toBe(201);

        const response = await ctx().api.get(KEYS, { key: alice.key });

        expect(response.status).toBe(200);
        expect(Object.keys(response.body)).toEqual(['total_count', 'user_id', 'api_keys']);
        expect(response.body.total_count).toBe(2);
        expect(response.body.user_id).toBe(alice.id);
        expect(response.body.api_keys.map((k: any) => k.id).sort()).toEqual(
          await storedKeyIds(alice.id),
        );
        for (const listed of response.body.api_keys) {
          expect(Object.keys(listed)).toEqual([
            'id',
            'name',
            'api_key',
            'created_at',
            'expires_at',
            'last_used_at',
          ]);
          expect(listed.created_at).toMatch(RFC3339_MS_UTC);
          expect(listed.api_key).not.toMatch(KEY_FORMAT);
        }
        expect(response.body.api_keys.map((k: any) => k.name).sort()).toEqual([
          'default',
          'second',
        ]);

        // Neither secret, nor a hash of one, nor anything of Bob's.
        const hashes = (await ctx().dataSource.getRepository(ApiKey).find()).map((k) => k.keyHash);
        for (const secret of [alice.key, second.body.api_key, bob.key, ADMIN_KEY, ...hashes]) {
          expect(response.text).not.toContain(secret.slice(3));
        }
        expect(response.text).not.toContain(bob.id);
      });

      it('shows each key by a preview that matches its beginning and end', async () => {
        const alice = await createUser(ctx());
        const response = await ctx().api.get(KEYS, { key: alice.key });
        const [preview] = response.body.api_keys.map((k: any) => k.api_key as string);
        const [head, tail] = preview.split('…');
        expect(alice.key.startsWith(head)).toBe(true);
        expect(alice.key.endsWith(tail)).toBe(true);
        expect(head.length + tail.length).toBeLessThan(16);
      });

      it('the superuser also sees only its own keys', async () => {
        await createUser(ctx());
        const response = await ctx().api.get(KEYS, { key: ADMIN_KEY });
        expect(response.status).toBe(200);
        expect(response.body.total_count).toBe(1);
        expect(response.body.api_keys).toHaveLength(1);
      });
    });

    describe('POST /api/v1/api_key/', () => {
      it('answers 201 with the key, shown once, that works at once', async () => {
        const alice = await createUser(ctx());

        const response = await ctx().api.post(KEYS, {
          key: alice.key,
          body: { name: 'ci-pipeline' },
        });

        expect(response.status).toBe(201);
        expect(Object.keys(response.body)).toEqual([
          'id',
          'name',
          'api_key',
          'created_at',
          'expires_at',
        ]);
        expect(response.body).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          name: 'ci-pipeline',
          api_key: expect.stringMatching(KEY_FORMAT),
          created_at: expect.stringMatching(RFC3339_MS_UTC),
          expires_at: null,
        });
        expect(response.body.api_key).not.toBe(alice.key);
        expect(await works(response.body.api_key)).toBe(true);
        expect(await works(alice.key)).toBe(true);
        expect(await storedKeyIds(alice.id)).toContain(response.body.id);

        // The new key acts as Alice: it lists her keys.
        const listed = await ctx().api.get(KEYS, { key: response.body.api_key });
        expect(listed.body.user_id).toBe(alice.id);
        const entry = listed.body.api_keys.find((k: any) => k.id === response.body.id);
        expect(entry).toEqual({
          ...response.body,
          api_key: expect.any(String),
          last_used_at: expect.stringMatching(RFC3339_MS_UTC),
        });
        expect(listed.text).not.toContain(response.body.api_key.slice(3));
      });

      it('names a key "api key" when no name is given', async () => {
        const alice = await createUser(ctx());
        const response = await ctx().api.post(KEYS, { key: alice.key, body: {} });
        expect(response.status).toBe(201);
        expect(response.body.name).toBe('api key');
        expect(await works(response.body.api_key)).toBe(true);
      });

      it('makes a different key each time', async () => {
        const alice = await createUser(ctx());
        const first = await ctx().api.post(KEYS, { key: alice.key, body: { name: 'same' } });
        const second = await ctx().api.post(KEYS, { key: alice.key, body: { name: 'same' } });
        expect(first.status).toBe(201);
        expect(second.status).toBe(201);
        expect(second.body.api_key).not.toBe(first.body.api_key);
        expect(second.body.id).not.toBe(first.body.id);
      });

      it.each([
        [
          'an unknown field',
          { name: 'k', scopes: ['all'] },
          {
            type: 'extra_forbidden',
            loc: ['body', 'scopes'],
            msg: 'Extra inputs are not permitted',
            input: ['all'],
          },
        ],
        [
          'a name of the wrong type',
          { name: 42 },
          {
            type: 'string_type',
            loc: ['body', 'name'],
            msg: 'Input should be a valid string',
            input: 42,
          },
        ],
        [
          'an empty name',
          { name: '' },
          {
            type: 'string_too_short',
            loc: ['body', 'name'],
            msg: 'String should have at least 1 character',
            input: '',
          },
        ],
        [
          'a name over 100 characters',
          { name: 'n'.repeat(101) },
          {
            type: 'string_too_long',
            loc: ['body', 'name'],
            msg: 'String should have at most 100 characters',
            input: 'n'.repeat(101),
          },
        ],
        ...['\u001b[2J', 'a\nb', '\u009b31m', 'x\u202etxt', '\u007f', 'a\u0000'].map(
          (name): [string, object, object] => [
            `a name with ${JSON.stringify(name)}`,
            { name },
            {
              type: 'value_error',
              loc: ['body', 'name'],
              msg: name.includes('\u0000')
                ? 'Value error, must not contain the NUL character (U+0000)'
                : 'Value error, must hold printable characters only (no control characters)',
              input: name,
            },
          ],
        ),
      ])('answers 422 to %s and makes no key', async (_case, body, issue) => {
        const alice = await createUser(ctx());
        const before = await storedKeyIds(alice.id);

        const response = await ctx().api.post(KEYS, { key: alice.key, body });

        expect(response.status).toBe(422);
        expect(response.body).toEqual({ detail: [issue] });
        expect(await storedKeyIds(alice.id)).toEqual(before);
      });

      it('answers 422 to a body that is not an object', async () => {
        const alice = await createUser(ctx());
        const response = await ctx().api.post(KEYS, { key: alice.key, body: ['name'] });
        expect(response.status).toBe(422);
        expect(response.body.detail).toEqual([expect.objectContaining({ loc: ['body'] })]);
        expect(await storedKeyIds(alice.id)).toHaveLength(1);
      });

      it('answers 422 json_invalid to malformed JSON', async () => {
        const alice = await createUser(ctx());
        const response = await ctx().api.post(KEYS, { key: alice.key, rawBody: '{"name": ' });
        expect(response.status).toBe(422);
        expect(response.body.detail).toEqual([expect.objectContaining({ type: 'json_invalid' })]);
        expect(await storedKeyIds(alice.id)).toHaveLength(1);
      });
    });

    describe('DELETE /api/v1/api_key/{id}', () => {
      it('answers 204 and the key stops working at once; the others keep working', async () => {
        const alice = await createUser(ctx());
        const doomed = await ctx().api.post(KEYS, { key: alice.key, body: { name: 'doomed' } });
        expect(await works(doomed.body.api_key)).toBe(true);

        const response = await ctx().api.delete(key(doomed.body.id), { key: alice.key });

        expect(response.status).toBe(204);
        expect(response.text).toBe('');
        expect(await works(doomed.body.api_key)).toBe(false);
        expect(await works(alice.key)).toBe(true);
        expect(await storedKeyIds(alice.id)).not.toContain(doomed.body.id);
        const listed = await ctx().api.get(KEYS, { key: alice.key });
        expect(listed.body.api_keys.map((k: any) => k.id)).not.toContain(doomed.body.id);
        expect(listed.body.total_count).toBe(1);
      });

      it('may revoke the very key the request carries', async () => {
        const alice = await createUser(ctx());
        const listed = await ctx().api.get(KEYS, { key: alice.key });
        const [own] = listed.body.api_keys;

        const response = await ctx().api.delete(key(own.id), { key: alice.key });

        expect(response.status).toBe(204);
        expect(await works(alice.key)).toBe(false);
        expect(await storedKeyIds(alice.id)).toEqual([]);
      });

      it('answers 404 to a key already revoked', async () => {
        const alice = await createUser(ctx());
        const extra = await ctx().api.post(KEYS, { key: alice.key, body: { name: 'extra' } });
        expect((await ctx().api.delete(key(extra.body.id), { key: alice.key })).status).toBe(204);

        const again = await ctx().api.delete(key(extra.body.id), { key: alice.key });

        expect(again.status).toBe(404);
        expect(again.body).toEqual(NOT_FOUND);
      });

      it("answers another user's key id exactly as a missing one, and leaves it working", async () => {
        const alice = await createUser(ctx());
        const mallory = await createUser(ctx());
        const [aliceKey] = (await ctx().api.get(KEYS, { key: alice.key })).body.api_keys;

        const foreign = await ctx().api.delete(key(aliceKey.id), { key: mallory.key });
        const missing = await ctx().api.delete(key(randomUUID()), { key: mallory.key });

        expect(foreign.status).toBe(404);
        expect(foreign.body).toEqual(NOT_FOUND);
        expect(missing.status).toBe(404);
        expect(missing.text).toBe(foreign.text);
        expect(await works(alice.key)).toBe(true);
        expect(await storedKeyIds(alice.id)).toEqual([aliceKey.id]);
      });

      it('answers 422 uuid_parsing to a malformed id', async () => {
        const alice = await createUser(ctx());
        const response = await ctx().api.delete(key('abc'), { key: alice.key });
        expect(response.status).toBe(422);
        expect(response.body).toEqual({
          detail: [
            expect.objectContaining({ type: 'uuid_parsing', loc: ['path', 'id'], input: 'abc' }),
          ],
        });
        expect(await works(alice.key)).toBe(true);
      });
    });
  },
  { pgbouncer: true },
);
