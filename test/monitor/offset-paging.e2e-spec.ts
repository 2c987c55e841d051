import { randomUUID } from 'node:crypto';
import { messageInput } from '../factories/messages';
import { createUser, TestUser } from '../factories/users';
import { describeEachDatabase } from '../support/test-app';

const MESSAGES = '/api/v1/monitor/messages';
const BASE = Date.UTC(2026, 10, 24, 13, 0, 0);
const at = (seconds: number) => new Date(BASE + seconds * 1000).toISOString();

describeEachDatabase(
  'GET /api/v1/monitor/messages?offset= (Langflow chat-history paging)',
  (ctx) => {
    /** 12 messages of one session, text "m0" (oldest) to "m11" (newest), ingested out of order. */
    async function seedHistory(user: TestUser, flowId = randomUUID()): Promise<string[]> {
      const body = Array.from({ length: 12 }, (_, i) =>
        messageInput({ flow_id: flowId, session_id: 'chat', text: `m${i}`, timestamp: at(i) }),
      ).reverse();
      const response = await ctx().api.post(MESSAGES, { key: user.key, body });
      expect(response.status).toBe(201);
      return Array.from({ length: 12 }, (_, i) => `m${i}`);
    }

    async function texts(user: TestUser, query: Record<string, string>): Promise<string[]> {
      const response = await ctx().api.get(MESSAGES, { key: user.key, query });
      expect(response.status).toBe(200);
      expect(Array.isArray(response.body)).toBe(true);
      return response.body.map((m: any) => m.text);
    }

    it('walks back from the newest message, each window in chronological order', async () => {
      const alice = await createUser(ctx());
      await seedHistory(alice);

      expect(await texts(alice, { offset: '0', limit: '5' })).toEqual([
        'm7',
        'm8',
        'm9',
        'm10',
        'm11',
      ]);
      expect(await texts(alice, { offset: '5', limit: '5' })).toEqual([
        'm2',
        'm3',
        'm4',
        'm5',
        'm6',
      ]);
      expect(await texts(alice, { offset: '10', limit: '5' })).toEqual(['m0', 'm1']);
      expect(await texts(alice, { offset: '12', limit: '5' })).toEqual([]);
      expect(await texts(alice, { offset: '500', limit: '5' })).toEqual([]);
    });

    it('takes 100 messages when limit is left out, and sends no paging headers', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      const body = Array.from({ length: 105 }, (_, i) =>
        messageInput({ flow_id: flowId, text: `m${i}`, timestamp: at(i) }),
      );
      expect((await ctx().api.post(MESSAGES, { key: alice.key, body })).status).toBe(201);

      const response = await ctx().api.get(MESSAGES, { key: alice.key, query: { offset: '0' } });

      expect(response.status).toBe(200);
      expect(response.body.map((m: any) => m.text)).toEqual(
        Array.from({ length: 100 }, (_, i) => `m${i + 5}`),
      );
      expect(response.headers.get('x-next-cursor')).toBeNull();
      expect(response.headers.get('link')).toBeNull();
    });

    it('breaks timestamp ties by id, so windows neither skip nor repeat a message', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      const body = Array.from({ length: 9 }, (_, i) =>
        messageInput({ flow_id: flowId, text: `m${i}`, timestamp: at(Math.floor(i / 3)) }),
      );
      const stored = (await ctx().api.post(MESSAGES, { key: alice.key, body })).body as any[];
      const all = [...stored].sort((a, b) =>
        a.timestamp === b.timestamp ? (a.id < b.id ? -1 : 1) : a.timestamp < b.timestamp ? -1 : 1,
      );

      const windows = [];
      for (const offset of [0, 2, 4, 6, 8]) {
        const response = await ctx().api.get(MESSAGES, {
          key: alice.key,
          query: { offset: String(offset), limit: '2' },
        });
        windows.unshift(...response.body.map((m: any) => m.id));
      }

      expect(windows).toEqual(all.map((m) => m.id));
    });

    it("applies Langflow's filters first and never shows another user's messages", async () => {
      const alice = await createUser(ctx());
      const bob = await createUser(ctx());
      const flowId = randomUUID();
      await seedHistory(alice, flowId);
      await ctx().api.post(MESSAGES, {
        key: alice.key,
        body: [
          messageInput({ flow_id: flowId, session_id: 'other', text: 'x', timestamp: at(99) }),
        ],
      });
      await seedHistory(bob);

      expect(await texts(alice, { session_id: 'chat', offset: '0', limit: '2' })).toEqual([
        'm10',
        'm11',
      ]);
      expect(await texts(alice, { flow_id: flowId, offset: '0', limit: '2' })).toEqual([
        'm11',
        'x',
      ]);
      expect(await texts(bob, { flow_id: flowId, offset: '0' })).toEqual([]);
    });

    it.each([
      [{ offset: '-1' }, 'greater_than_equal'],
      [{ offset: 'ten' }, 'int_parsing'],
      [{ offset: '1.5' }, 'int_parsing'],
      [{ offset: '0', cursor: 'abc' }, 'value_error'],
      [{ offset: '0', order_by: 'sender' }, 'value_error'],
    ])('answers 422 on offset for %j', async (query, type) => {
      const alice = await createUser(ctx());

      const response = await ctx().api.get(MESSAGES, { key: alice.key, query });

      expect(response.status).toBe(422);
      expect(response.body.detail).toEqual([
        expect.objectContaining({ type, loc: ['query', 'offset'] }),
      ]);
    });

    it('order=DESC (Langflow 1.12+) lists the same windows newest first', async () => {
      const alice = await createUser(ctx());
      await seedHistory(alice);

      // What Langflow 1.12's Playground sends for a chat's newest page.
      expect(await texts(alice, { offset: '0', limit: '30', order: 'DESC' })).toEqual(
        Array.from({ length: 12 }, (_, i) => `m${11 - i}`),
      );
      expect(await texts(alice, { offset: '0', limit: '5', order: 'DESC' })).toEqual([
        'm11',
        'm10',
        'm9',
        'm8',
        'm7',
      ]);
      expect(await texts(alice, { offset: '5', limit: '5', order: 'desc' })).toEqual([
        'm6',
        'm5',
        'm4',
        'm3',
        'm2',
      ]);
      expect(await texts(alice, { offset: '10', limit: '5', order: 'Desc' })).toEqual(['m1', 'm0']);
      expect(await texts(alice, { offset: '5', limit: '5', order: 'ASC' })).toEqual([
        'm2',
        'm3',
        'm4',
        'm5',
        'm6',
      ]);
      expect(await texts(alice, { offset: '12', limit: '5', order: 'DESC' })).toEqual([]);
    });

    it.each([['sideways'], ['descending'], ['']])(
      'answers 422 on order for order=%j with offset, as sent',
      async (order) => {
        const alice = await createUser(ctx());

        const response = await ctx().api.get(MESSAGES, {
          key: alice.key,
          query: { offset: '0', order },
        });

        expect(response.status).toBe(422);
        expect(response.body.detail).toEqual([
          {
            type: 'value_error',
            loc: ['query', 'order'],
            msg: 'Value error, must be one of: asc, desc',
            input: order,
          },
        ]);
      },
    );

    it('accepts the default ordering given explicitly', async () => {
      const alice = await createUser(ctx());
      await seedHistory(alice);

      expect(
        await texts(alice, { offset: '1', limit: '2', order_by: 'timestamp', order: 'asc' }),
      ).toEqual(['m9', 'm10']);
    });
  },
  { pgbouncer: true },
);
