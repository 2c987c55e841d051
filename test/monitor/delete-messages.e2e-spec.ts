import { randomUUID } from 'node:crypto';
import { ingestSession } from '../factories/messages';
import { createUser } from '../factories/users';
import { describeEachDatabase } from '../support/test-app';

const MESSAGES = '/api/v1/monitor/messages';

describeEachDatabase(
  'DELETE /api/v1/monitor/messages',
  (ctx) => {
    /** Every stored message id, straight from the database, sorted. */
    async function storedIds(): Promise<string[]> {
      const rows = await ctx().dataSource.query<{ id: string }[]>('SELECT "id" FROM "message"');
      return rows.map((row) => row.id).sort();
    }

    const idsOf = (messages: { id: string }[]) => messages.map((m) => m.id);
    const sorted = (ids: string[]) => [...ids].sort();

    it("deletes the listed messages of the caller's and nothing else", async () => {
      const alice = await createUser(ctx());
      const stored = await ingestSession(ctx(), alice.key, { sessionId: 's', count: 5 });

      const response = await ctx().api.delete(MESSAGES, {
        key: alice.key,
        body: [stored[1].id, stored[3].id],
      });

      expect(response.status).toBe(204);
      expect(response.text).toBe('');
      expect(await storedIds()).toEqual(sorted(idsOf([stored[0], stored[2], stored[4]])));
    });

    it("ignores unknown ids and other users' messages, which stay in the database", async () => {
      const alice = await createUser(ctx());
      const mallory = await createUser(ctx());
      const mine = await ingestSession(ctx(), alice.key, { sessionId: 's', count: 2 });
      const theirs = await ingestSession(ctx(), mallory.key, { sessionId: 's', count: 2 });

      const response = await ctx().api.delete(MESSAGES, {
        key: alice.key,
        body: [theirs[0].id, randomUUID(), mine[0].id, theirs[1].id],
      });

      expect(response.status).toBe(204);
      expect(await storedIds()).toEqual(sorted([mine[1].id, ...idsOf(theirs)]));

      const onlyForeign = await ctx().api.delete(MESSAGES, {
        key: alice.key,
        body: idsOf(theirs),
      });
      expect(onlyForeign.status).toBe(204);
      expect(await storedIds()).toEqual(sorted([mine[1].id, ...idsOf(theirs)]));
    });

    it('accepts uppercase ids and repeated ids', async () => {
      const alice = await createUser(ctx());
      const stored = await ingestSession(ctx(), alice.key, { sessionId: 's', count: 3 });

      const response = await ctx().api.delete(MESSAGES, {
        key: alice.key,
        body: [stored[0].id.toUpperCase(), stored[0].id, stored[2].id, stored[2].id],
      });

      expect(response.status).toBe(204);
      expect(await storedIds()).toEqual([stored[1].id]);
    });

    it('accepts exactly 1000 ids', async () => {
      const alice = await createUser(ctx());
      const stored = await ingestSession(ctx(), alice.key, { sessionId: 's', count: 1002 });
      const ids = idsOf(stored).slice(0, 1000);

      const response = await ctx().api.delete(MESSAGES, { key: alice.key, body: ids });

      expect(response.status).toBe(204);
      expect(await storedIds()).toEqual(sorted(idsOf(stored.slice(1000))));
    });

    describe('validation: 422 in FastAPI shape, and nothing is deleted', () => {
      const invalidId = 'not-a-uuid';
      const cases: [string, (own: string) => unknown, object[]][] = [
        [
          'a malformed id',
          (own) => [own, invalidId],
          [
            {
              type: 'uuid_parsing',
              loc: ['body', 1],
              msg: 'Input should be a valid UUID, invalid length or characters',
              input: invalidId,
            },
          ],
        ],
        [
          'a UUID with a stray character',
          (own) => [`${own}0`],
          [
            {
              type: 'uuid_parsing',
              loc: ['body', 0],
              msg: 'Input should be a valid UUID, invalid length or characters',
            },
          ],
        ],
        [
          'a non-string item',
          (own) => [own, 42],
          [
            {
              type: 'string_type',
              loc: ['body', 1],
              msg: 'Input should be a valid string',
              input: 42,
            },
          ],
        ],
        [
          'a null item',
          (own) => [null, own],
          [
            {
              type: 'string_type',
              loc: ['body', 0],
              msg: 'Input should be a valid string',
              input: null,
            },
          ],
        ],
        [
          'several bad items, each reported at its index',
          (own) => [invalidId, own, { id: own }],
          [
            { type: 'uuid_parsing', loc: ['body', 0], input: invalidId },
            { type: 'string_type', loc: ['body', 2] },
          ],
        ],
        [
          'an empty list',
          () => [],
          [
            {
              type: 'too_short',
              loc: ['body'],
              msg: 'List should have at least 1 item after validation, not 0',
              input: [],
            },
          ],
        ],
        [
          '1001 ids',
          (own) => [own, ...Array.from({ length: 1000 }, () => randomUUID())],
          [{ type: 'too_long', loc: ['body'] }],
        ],
        [
          'an object instead of a list',
          (own) => ({ ids: [own] }),
          [
            {
              type: 'list_type',
              loc: ['body'],
              msg: 'Input should be a valid list',
              input: { ids: [] },
            },
          ],
        ],
        [
          'a bare string instead of a list',
          (own) => own,
          [{ type: 'list_type', loc: ['body'], msg: 'Input should be a valid list' }],
        ],
      ];

      it.each(cases)('%s', async (_label, bodyOf, issues) => {
        const alice = await createUser(ctx());
        const stored = await ingestSession(ctx(), alice.key, { sessionId: 's', count: 2 });
        const body = bodyOf(stored[0].id);

        const response = await ctx().api.delete(MESSAGES, { key: alice.key, body });

        expect(response.status).toBe(422);
        expect(response.body.detail).toHaveLength(issues.length);
        issues.forEach((issue, index) => {
          const expected =
            'input' in issue && typeof issue.input === 'object' && issue.input !== null
              ? { ...issue, input: body }
              : issue;
          expect(response.body.detail[index]).toMatchObject(expected);
          expect(typeof response.body.detail[index].msg).toBe('string');
        });
        expect(await storedIds()).toEqual(sorted(idsOf(stored)));
      });

      it('answers malformed JSON with 422 json_invalid', async () => {
        const alice = await createUser(ctx());
        const stored = await ingestSession(ctx(), alice.key, { sessionId: 's', count: 1 });

        const response = await ctx().api.delete(MESSAGES, {
          key: alice.key,
          rawBody: `["${stored[0].id}"`,
        });

        expect(response.status).toBe(422);
        expect(response.body.detail).toHaveLength(1);
        expect(response.body.detail[0].type).toBe('json_invalid');
        expect(response.body.detail[0].loc[0]).toBe('body');
        expect(await storedIds()).toEqual([stored[0].id]);
      });

      it('answers a request without a body with 422 missing', async () => {
        const alice = await createUser(ctx());
        const stored = await ingestSession(ctx(), alice.key, { sessionId: 's', count: 1 });

        const response = await ctx().api.delete(MESSAGES, { key: alice.key });

        expect(response.status).toBe(422);
        expect(response.body).toEqual({
          detail: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }],
        });
        expect(await storedIds()).toEqual([stored[0].id]);
      });
    });

    it('answers 403 without a valid key, before validating the body', async () => {
      const alice = await createUser(ctx());
      const stored = await ingestSession(ctx(), alice.key, { sessionId: 's', count: 1 });

      const none = await ctx().api.delete(MESSAGES, { body: [stored[0].id] });
      expect(none.status).toBe(403);
      expect(none.body).toEqual({ detail: 'An API key must be passed as query or header' });

      const bad = await ctx().api.delete(MESSAGES, {
        key: 'sk-not-a-real-key-000000000000000000000000',
        body: [],
      });
      expect(bad.status).toBe(403);
      expect(bad.body).toEqual({ detail: 'Invalid or missing API key' });
      expect(await storedIds()).toEqual([stored[0].id]);
    });
  },
  { pgbouncer: true },
);
