import { randomUUID } from 'node:crypto';
import { messageInput } from '../factories/messages';
import { createUser, TestUser } from '../factories/users';
import { ApiResponse } from '../support/api-client';
import { describeEachDatabase } from '../support/test-app';
import { boundedText } from '../../src/common/validation/bounded-echo';

const MESSAGES = '/api/v1/monitor/messages';
const LINK = /^<([^>]+)>; rel="next"$/;
const BASE = Date.UTC(2026, 10, 24, 13, 0, 0);

type Query = Record<string, string>;
type OrderBy =
  'timestamp' | 'id' | 'sender' | 'sender_name' | 'session_id' | 'category' | 'flow_id';

const at = (seconds: number) => new Date(BASE + seconds * 1000).toISOString();

/** The sort keys of an ordering, as the contract states them: the column, then timestamp, then id. */
function keysOf(orderBy: OrderBy): OrderBy[] {
  if (orderBy === 'id') {
    return ['id'];
  }
  return orderBy === 'timestamp' ? ['timestamp', 'id'] : [orderBy, 'timestamp', 'id'];
}

/** -1, 0 or 1: where `a` comes relative to `b` in the ordering (values chosen to sort alike everywhere). */
function compare(a: any, b: any, orderBy: OrderBy, order: 'asc' | 'desc'): number {
  for (const key of keysOf(orderBy)) {
    if (a[key] !== b[key]) {
      const sign = a[key] < b[key] ? -1 : 1;
      return order === 'asc' ? sign : -sign;
    }
  }
  return 0;
}

function sorted(messages: any[], orderBy: OrderBy = 'timestamp', order: 'asc' | 'desc' = 'asc') {
  return [...messages].sort((a, b) => compare(a, b, orderBy, order));
}

const ids = (messages: any[]) => messages.map((m) => m.id);

function linkTarget(response: ApiResponse): string {
  const match = LINK.exec(response.headers.get('link') ?? '');
  if (!match) {
    throw new Error(`no Link rel="next" header: ${response.headers.get('link')}`);
  }
  return match[1];
}

function encodeDocument(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

describeEachDatabase(
  'GET /api/v1/monitor/messages with pagination',
  (ctx) => {
    async function ingest(key: string, inputs: object[]): Promise<any[]> {
      const response = await ctx().api.post(MESSAGES, { key, body: inputs });
      expect(response.status).toBe(201);
      return response.body;
    }

    /**
     * 24 messages over two flows, three sessions and two senders; pairs share a timestamp, so ties
     * are broken by id. Their values sort the same in every collation.
     */
    async function seedVaried(user: TestUser): Promise<{ messages: any[]; flows: string[] }> {
      const flows = [randomUUID(), randomUUID()];
      const sessions = ['alpha', 'beta', 'gamma'];
      const messages = await ingest(
        user.key,
        Array.from({ length: 24 }, (_, i) => {
          const machine = Math.floor(i / 3) % 2 === 1;
          return messageInput({
            id: randomUUID(),
            flow_id: flows[i % 2],
            session_id: sessions[i % 3],
            sender: machine ? 'Machine' : 'User',
            sender_name: machine ? 'AI' : 'User',
            category: i % 4 === 0 ? 'info' : 'message',
            text: `message ${i}`,
            timestamp: at(Math.floor(i / 2)),
          });
        }),
      );
      return { messages, flows };
    }

    /** Follows the pages to the end, by the Link header or by X-Next-Cursor, checking each page. */
    async function walk(
      key: string,
      query: Query,
      via: 'link' | 'cursor',
      between?: (page: any[]) => Promise<void>,
    ): Promise<any[][]> {
      const pages: any[][] = [];
      let response = await ctx().api.get(MESSAGES, { key, query });
      for (let fetched = 1; fetched <= 200; fetched += 1) {
        expect(response.status).toBe(200);
        expect(Array.isArray(response.body)).toBe(true);
        pages.push(response.body);
        const cursor = response.headers.get('x-next-cursor');
        if (cursor === null) {
          expect(response.headers.get('link')).toBeNull();
          return pages;
        }
        const target = linkTarget(response);
        expect(new URL(target, 'http://client.invalid').searchParams.get('cursor')).toBe(cursor);
        await between?.(response.body);
        response =
          via === 'link'
            ? await ctx().api.get(target, { key })
            : await ctx().api.get(MESSAGES, { key, query: { ...query, cursor } });
      }
      throw new Error('more than 200 pages');
    }

    function expectFullPages(pages: any[][], limit: number): void {
      pages.slice(0, -1).forEach((page) => expect(page).toHaveLength(limit));
      const last = pages[pages.length - 1];
      expect(last.length).toBeGreaterThanOrEqual(1);
      expect(last.length).toBeLessThanOrEqual(limit);
    }

    it('answers the whole array without Link or X-Next-Cursor when no new parameter is given', async () => {
      const alice = await createUser(ctx());
      const { messages } = await seedVaried(alice);

      const response = await ctx().api.get(MESSAGES, { key: alice.key });

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(response.body).toEqual(sorted(messages));
      expect(response.headers.get('x-next-cursor')).toBeNull();
      expect(response.headers.get('link')).toBeNull();

      const ordered = await ctx().api.get(MESSAGES, {
        key: alice.key,
        query: { order_by: 'sender', order: 'desc' },
      });
      expect(ordered.status).toBe(200);
      expect(ids(ordered.body)).toEqual(ids(sorted(messages, 'sender', 'desc')));
      expect(ordered.headers.get('x-next-cursor')).toBeNull();
      expect(ordered.headers.get('link')).toBeNull();
    });

    it('answers a bare array page with X-Next-Cursor and Link when more follow, and neither on the last page', async () => {
      const alice = await createUser(ctx());
      const { messages } = await seedVaried(alice);
      const expected = sorted(messages);

      const first = await ctx().api.get(MESSAGES, { key: alice.key, query: { limit: '10' } });
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toContain('application/json');
      expect(first.body).toEqual(expected.slice(0, 10));
      const cursor = first.headers.get('x-next-cursor');
      expect(cursor).toMatch(/^\S+$/);
      const link = new URL(linkTarget(first), 'http://client.invalid');
      expect(link.pathname).toBe(MESSAGES);
      expect(link.searchParams.get('limit')).toBe('10');
      expect(link.searchParams.get('cursor')).toBe(cursor);

      const second = await ctx().api.get(linkTarget(first), { key: alice.key });
      expect(second.status).toBe(200);
      expect(second.body).toEqual(expected.slice(10, 20));

      const last = await ctx().api.get(linkTarget(second), { key: alice.key });
      expect(last.status).toBe(200);
      expect(last.body).toEqual(expected.slice(20));
      expect(last.headers.get('x-next-cursor')).toBeNull();
      expect(last.headers.get('link')).toBeNull();
    });

    it('sends no next page when the last page is exactly full, or when one page holds everything', async () => {
      const alice = await createUser(ctx());
      const { messages } = await seedVaried(alice);
      const expected = sorted(messages);

      const pages = await walk(alice.key, { limit: '12' }, 'link');
      expect(pages).toHaveLength(2);
      expect(pages.flat()).toEqual(expected);

      for (const limit of ['24', '1000']) {
        const whole = await ctx().api.get(MESSAGES, { key: alice.key, query: { limit } });
        expect(whole.status).toBe(200);
        expect(whole.body).toEqual(expected);
        expect(whole.headers.get('x-next-cursor')).toBeNull();
        expect(whole.headers.get('link')).toBeNull();
      }
    });

    it('answers an empty array and no next page when nothing matches', async () => {
      const alice = await createUser(ctx());

      const response = await ctx().api.get(MESSAGES, { key: alice.key, query: { limit: '5' } });

      expect(response.status).toBe(200);
      expect(response.body).toEqual([]);
      expect(response.headers.get('x-next-cursor')).toBeNull();
      expect(response.headers.get('link')).toBeNull();
    });

    describe('walks the whole list exactly once, in order', () => {
      const cases: { name: string; query: Query; orderBy: OrderBy; order: 'asc' | 'desc' }[] = [
        { name: 'by timestamp then id', query: {}, orderBy: 'timestamp', order: 'asc' },
        { name: 'order=desc', query: { order: 'desc' }, orderBy: 'timestamp', order: 'desc' },
        // Langflow 1.12+ spells it in capitals; the cursor is the same either way.
        { name: 'order=DESC', query: { order: 'DESC' }, orderBy: 'timestamp', order: 'desc' },
        {
          name: 'order_by=sender&order=Asc',
          query: { order_by: 'sender', order: 'Asc' },
          orderBy: 'sender',
          order: 'asc',
        },
        { name: 'order_by=sender', query: { order_by: 'sender' }, orderBy: 'sender', order: 'asc' },
        {
          name: 'order_by=session_id&order=desc',
          query: { order_by: 'session_id', order: 'desc' },
          orderBy: 'session_id',
          order: 'desc',
        },
        {
          name: 'order_by=session_id',
          query: { order_by: 'session_id' },
          orderBy: 'session_id',
          order: 'asc',
        },
        { name: 'order_by=id', query: { order_by: 'id' }, orderBy: 'id', order: 'asc' },
        {
          name: 'order_by=id&order=desc',
          query: { order_by: 'id', order: 'desc' },
          orderBy: 'id',
          order: 'desc',
        },
        {
          name: 'order_by=sender_name&order=desc',
          query: { order_by: 'sender_name', order: 'desc' },
          orderBy: 'sender_name',
          order: 'desc',
        },
        {
          name: 'order_by=flow_id',
          query: { order_by: 'flow_id' },
          orderBy: 'flow_id',
          order: 'asc',
        },
        {
          name: 'order_by=category',
          query: { order_by: 'category' },
          orderBy: 'category',
          order: 'asc',
        },
      ];

      for (const { name, query, orderBy, order } of cases) {
        for (const via of ['link', 'cursor'] as const) {
          it(`${name}, following ${via === 'link' ? 'Link' : 'X-Next-Cursor'}`, async () => {
            const alice = await createUser(ctx());
            const { messages } = await seedVaried(alice);
            const expected = sorted(messages, orderBy, order);

            const pages = await walk(alice.key, { ...query, limit: '5' }, via);

            expect(pages).toHaveLength(5);
            expectFullPages(pages, 5);
            expect(pages.flat()).toEqual(expected);
            const unpaged = await ctx().api.get(MESSAGES, { key: alice.key, query });
            expect(ids(unpaged.body)).toEqual(ids(expected));
          });
        }
      }

      it('with a session_id filter', async () => {
        const alice = await createUser(ctx());
        const { messages } = await seedVaried(alice);
        const expected = sorted(messages.filter((m) => m.session_id === 'beta'));

        const pages = await walk(alice.key, { session_id: 'beta', limit: '3' }, 'link');

        expectFullPages(pages, 3);
        expect(pages.flat()).toEqual(expected);
        expect(expected).toHaveLength(8);
      });

      it('with flow_id and sender filters, order=desc', async () => {
        const alice = await createUser(ctx());
        const { messages, flows } = await seedVaried(alice);
        const expected = sorted(
          messages.filter((m) => m.flow_id === flows[1] && m.sender === 'User'),
          'timestamp',
          'desc',
        );

        const pages = await walk(
          alice.key,
          { flow_id: flows[1], sender: 'User', order: 'desc', limit: '2' },
          'link',
        );

        expectFullPages(pages, 2);
        expect(pages.flat()).toEqual(expected);
        expect(expected.length).toBeGreaterThan(2);
      });

      it('keeps a session_id with spaces and "+" through the Link', async () => {
        const alice = await createUser(ctx());
        const flowId = randomUUID();
        const session = 'chat a+b/c';
        const stored = await ingest(
          alice.key,
          Array.from({ length: 7 }, (_, i) =>
            messageInput({ flow_id: flowId, session_id: session, timestamp: at(i) }),
          ),
        );
        await ingest(alice.key, [
          messageInput({ flow_id: flowId, session_id: 'chat a b/c', timestamp: at(3) }),
          messageInput({ flow_id: flowId, session_id: 'chat a+b', timestamp: at(3) }),
        ]);

        const pages = await walk(alice.key, { session_id: session, limit: '3' }, 'link');

        expect(pages.flat()).toEqual(stored);
      });
    });

    it('breaks equal timestamps by id, ascending and descending', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      const timestamp = '2026-11-24T13:09:00.123Z';
      const sameTime = Array.from({ length: 7 }, () => randomUUID());
      await ingest(
        alice.key,
        sameTime.map((id) => messageInput({ id, flow_id: flowId, timestamp })),
      );

      const ascending = await walk(alice.key, { limit: '2' }, 'link');
      expect(ids(ascending.flat())).toEqual([...sameTime].sort());

      const descending = await walk(alice.key, { limit: '3', order: 'desc' }, 'cursor');
      expect(ids(descending.flat())).toEqual([...sameTime].sort().reverse());
    });

    it("reuses the cursor's page size when cursor comes without limit, and lets limit override it", async () => {
      const alice = await createUser(ctx());
      const { messages } = await seedVaried(alice);
      const expected = sorted(messages);

      const first = await ctx().api.get(MESSAGES, { key: alice.key, query: { limit: '4' } });
      const cursor = first.headers.get('x-next-cursor') as string;

      const byCursor = await ctx().api.get(MESSAGES, { key: alice.key, query: { cursor } });
      expect(byCursor.status).toBe(200);
      expect(byCursor.body).toEqual(expected.slice(4, 8));
      const next = new URL(linkTarget(byCursor), 'http://client.invalid');
      expect(next.searchParams.get('limit')).toBeNull();

      const rest = await walk(alice.key, { cursor }, 'link');
      expectFullPages(rest, 4);
      expect(rest.flat()).toEqual(expected.slice(4));

      const overridden = await ctx().api.get(MESSAGES, {
        key: alice.key,
        query: { cursor, limit: '7' },
      });
      expect(overridden.status).toBe(200);
      expect(overridden.body).toEqual(expected.slice(4, 11));
    });

    it('continues after a position whose message was deleted or moved away meanwhile', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      const stored = await ingest(
        alice.key,
        Array.from({ length: 9 }, (_, i) =>
          messageInput({ flow_id: flowId, session_id: 's', timestamp: at(i) }),
        ),
      );

      const first = await ctx().api.get(MESSAGES, {
        key: alice.key,
        query: { session_id: 's', limit: '3' },
      });
      const deleted = await ctx().api.delete(MESSAGES, { key: alice.key, body: [stored[2].id] });
      expect(deleted.status).toBe(204);
      const second = await ctx().api.get(linkTarget(first), { key: alice.key });
      expect(second.status).toBe(200);
      expect(second.body).toEqual(stored.slice(3, 6));

      const moved = await ctx().api.put(`${MESSAGES}/${stored[5].id}`, {
        key: alice.key,
        body: { session_id: 'elsewhere' },
      });
      expect(moved.status).toBe(200);
      const third = await ctx().api.get(linkTarget(second), { key: alice.key });
      expect(third.status).toBe(200);
      expect(third.body).toEqual(stored.slice(6, 9));
      expect(third.headers.get('link')).toBeNull();
    });

    it('pages by long sort values that JSON must escape', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      const senders = ['\u0001'.repeat(255), '"\\'.repeat(127), '\u{1F680}'.repeat(255)];
      const stored = await ingest(
        alice.key,
        senders.flatMap((sender, i) =>
          [0, 1].map((j) => messageInput({ flow_id: flowId, sender, timestamp: at(i * 2 + j) })),
        ),
      );

      for (const order_by of ['sender', 'timestamp'] as const) {
        const pages = await walk(alice.key, { order_by, limit: '1' }, 'link');
        expect(pages).toHaveLength(6);
        expect(ids(pages.flat())).toEqual(
          ids((await ctx().api.get(MESSAGES, { key: alice.key, query: { order_by } })).body),
        );
      }
      expect(stored.map((m) => m.sender)).toEqual(senders.flatMap((sender) => [sender, sender]));
    });

    describe('never skips or repeats a message while others insert', () => {
      for (const order of ['asc', 'desc'] as const) {
        it(`between page fetches, order=${order}`, async () => {
          const alice = await createUser(ctx());
          const flowId = randomUUID();
          const originals = await ingest(
            alice.key,
            Array.from({ length: 20 }, (_, i) =>
              messageInput({ flow_id: flowId, session_id: 's', timestamp: at(i * 10) }),
            ),
          );
          // Someone else's messages and another session's never show up.
          await ingest(alice.key, [
            messageInput({ flow_id: flowId, session_id: 'other', timestamp: at(55) }),
          ]);
          const inserted: { message: any; afterCursor: boolean }[] = [];

          const pages = await walk(
            alice.key,
            { session_id: 's', order, limit: '4' },
            'link',
            async (page) => {
              const last = page[page.length - 1];
              const lastSecond = (Date.parse(last.timestamp) - BASE) / 1000;
              const fresh = await ingest(alice.key, [
                messageInput({ flow_id: flowId, session_id: 's', timestamp: at(lastSecond - 5) }),
                messageInput({ flow_id: flowId, session_id: 's', timestamp: at(lastSecond + 5) }),
                messageInput({ flow_id: flowId, session_id: 's', timestamp: last.timestamp }),
                messageInput({ flow_id: flowId, session_id: 's', timestamp: at(-100) }),
                messageInput({ flow_id: flowId, session_id: 's', timestamp: at(1000) }),
              ]);
              for (const message of fresh) {
                inserted.push({
                  message,
                  afterCursor: compare(message, last, 'timestamp', order) > 0,
                });
              }
            },
          );

          const seen = pages.flat();
          expect(new Set(ids(seen)).size).toBe(seen.length);
          for (const original of originals) {
            expect(seen.filter((m) => m.id === original.id)).toHaveLength(1);
          }
          for (let i = 1; i < seen.length; i += 1) {
            expect(compare(seen[i - 1], seen[i], 'timestamp', order)).toBe(-1);
          }
          // Keyset pages: what was inserted past the position reached is read once, the rest never.
          const seenIds = new Set(ids(seen));
          expect(inserted.filter(({ message }) => seenIds.has(message.id))).toEqual(
            inserted.filter(({ afterCursor }) => afterCursor),
          );
          expect(seen).toHaveLength(
            originals.length + inserted.filter(({ afterCursor }) => afterCursor).length,
          );
          expect(inserted.some(({ afterCursor }) => afterCursor)).toBe(true);
          expect(inserted.some(({ afterCursor }) => !afterCursor)).toBe(true);
        });
      }

      it('with inserts running concurrently with the page fetches', async () => {
        const alice = await createUser(ctx());
        const flowId = randomUUID();
        const originals = await ingest(
          alice.key,
          Array.from({ length: 30 }, (_, i) =>
            messageInput({ flow_id: flowId, session_id: 's', timestamp: at(i * 10) }),
          ),
        );
        let round = 0;
        const pages = await walk(alice.key, { session_id: 's', limit: '4' }, 'cursor', async () => {
          round += 1;
          await Promise.all(
            [-1, 3, 150, 301].map((second) =>
              ingest(alice.key, [
                messageInput({ flow_id: flowId, session_id: 's', timestamp: at(second + round) }),
              ]),
            ),
          );
        });

        const seen = pages.flat();
        expect(new Set(ids(seen)).size).toBe(seen.length);
        for (const original of originals) {
          expect(seen.filter((m) => m.id === original.id)).toHaveLength(1);
        }
        for (let i = 1; i < seen.length; i += 1) {
          expect(compare(seen[i - 1], seen[i], 'timestamp', 'asc')).toBe(-1);
        }
      });

      it('with inserts racing the fetch of each page', async () => {
        const alice = await createUser(ctx());
        const flowId = randomUUID();
        const originals = await ingest(
          alice.key,
          Array.from({ length: 30 }, (_, i) =>
            messageInput({ flow_id: flowId, session_id: 's', timestamp: at(i * 10) }),
          ),
        );
        const seen: any[] = [];
        let cursor: string | null = null;
        for (let round = 0; round < 100; round += 1) {
          const query: Query = { session_id: 's', limit: '3', ...(cursor ? { cursor } : {}) };
          const [page] = await Promise.all([
            ctx().api.get(MESSAGES, { key: alice.key, query }),
            ingest(
              alice.key,
              [-5, 15 + round * 3, 400].map((second) =>
                messageInput({ flow_id: flowId, session_id: 's', timestamp: at(second) }),
              ),
            ),
          ]);
          expect(page.status).toBe(200);
          seen.push(...page.body);
          cursor = page.headers.get('x-next-cursor');
          if (!cursor) {
            break;
          }
        }

        expect(cursor).toBeNull();
        expect(new Set(ids(seen)).size).toBe(seen.length);
        for (const original of originals) {
          expect(seen.filter((m) => m.id === original.id)).toHaveLength(1);
        }
        for (let i = 1; i < seen.length; i += 1) {
          expect(compare(seen[i - 1], seen[i], 'timestamp', 'asc')).toBe(-1);
        }
      });
    });

    describe('a bad cursor is a 422 on ["query","cursor"], never a 500', () => {
      async function realCursor(key: string, query: Query = {}): Promise<string> {
        const response = await ctx().api.get(MESSAGES, { key, query: { ...query, limit: '3' } });
        const cursor = response.headers.get('x-next-cursor');
        if (!cursor) {
          throw new Error('no cursor');
        }
        return cursor;
      }

      async function expectCursorRefused(key: string, query: Query): Promise<void> {
        const response = await ctx().api.get(MESSAGES, { key, query });
        expect(response.status).toBe(422);
        expect(response.body.detail).toHaveLength(1);
        expect(response.body.detail[0]).toMatchObject({
          loc: ['query', 'cursor'],
          // A 422 echoes at most a bounded prefix of what it refuses.
          input: boundedText(query.cursor),
        });
        expect(response.body.detail[0].type).toMatch(
          /^(value_error|string_too_short|string_too_long)$/,
        );
        expect(response.headers.get('x-next-cursor')).toBeNull();
      }

      it('refuses garbage', async () => {
        const alice = await createUser(ctx());
        await seedVaried(alice);
        for (const cursor of [
          'abc',
          'not a cursor!',
          '%%%',
          '',
          'x'.repeat(5000),
          'x'.repeat(3000),
          encodeDocument('{"v":1'),
          encodeDocument('null'),
          encodeDocument('[]'),
          encodeDocument('"text"'),
          encodeDocument('{}'),
          Buffer.from([0xff, 0xfe, 0x00, 0x7b]).toString('base64url'),
        ]) {
          await expectCursorRefused(alice.key, { cursor, limit: '3' });
          await expectCursorRefused(alice.key, { cursor });
        }
      });

      it('refuses a tampered cursor: non-uuid id, bad timestamp, page size out of range', async () => {
        const alice = await createUser(ctx());
        await seedVaried(alice);
        const document = Buffer.from(await realCursor(alice.key), 'base64url').toString('utf8');
        const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
        const timestamp = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/;
        expect(document).toMatch(uuid);
        expect(document).toMatch(timestamp);

        const tampered = [
          document.replace(uuid, 'not-a-uuid'),
          document.replace(uuid, "' OR 1=1 --"),
          document.replace(`"${uuid.exec(document)?.[0]}"`, '42'),
          document.replace(`"${uuid.exec(document)?.[0]}"`, 'null'),
          document.replace(timestamp, 'yesterday'),
          document.replace(timestamp, '2026-02-30T00:00:00.000Z'),
          document.replace(/:3([,}])/, ':0$1'),
          document.replace(/:3([,}])/, ':100000$1'),
          document.replace(/:3([,}])/, ':"3"$1'),
        ];
        for (const text of tampered) {
          expect(text).not.toBe(document);
          await expectCursorRefused(alice.key, { cursor: encodeDocument(text) });
          await expectCursorRefused(alice.key, { cursor: encodeDocument(text), limit: '3' });
        }
      });

      it('refuses a cursor made for another order_by or order', async () => {
        const alice = await createUser(ctx());
        await seedVaried(alice);
        const bySender = await realCursor(alice.key, { order_by: 'sender' });
        const descending = await realCursor(alice.key, { order: 'desc' });
        const ascending = await realCursor(alice.key);

        await expectCursorRefused(alice.key, { cursor: bySender });
        await expectCursorRefused(alice.key, { cursor: bySender, order_by: 'session_id' });
        await expectCursorRefused(alice.key, {
          cursor: bySender,
          order_by: 'sender',
          order: 'desc',
        });
        await expectCursorRefused(alice.key, { cursor: descending });
        await expectCursorRefused(alice.key, { cursor: descending, order: 'asc' });
        await expectCursorRefused(alice.key, { cursor: ascending, order: 'desc' });
        await expectCursorRefused(alice.key, { cursor: ascending, order_by: 'id' });
        await expectCursorRefused(alice.key, { cursor: descending, order: 'ASC' });
        await expectCursorRefused(alice.key, { cursor: ascending, order: 'DESC' });

        // The letter case of order is not part of the ordering.
        const upper = await ctx().api.get(MESSAGES, {
          key: alice.key,
          query: { cursor: descending, order: 'DESC' },
        });
        expect(upper.status).toBe(200);
        expect(upper.body).toHaveLength(3);

        const accepted = await ctx().api.get(MESSAGES, {
          key: alice.key,
          query: { cursor: bySender, order_by: 'sender' },
        });
        expect(accepted.status).toBe(200);
        expect(accepted.body).toHaveLength(3);
      });

      it('treats a tampered but well-formed sort value as data, not SQL', async () => {
        const alice = await createUser(ctx());
        const { messages } = await seedVaried(alice);
        const document = Buffer.from(
          await realCursor(alice.key, { order_by: 'sender' }),
          'base64url',
        ).toString('utf8');
        const cursor = encodeDocument(document.replace(/"(Machine|User)"/, `"' OR '1'='1"`));
        expect(cursor).not.toBe(encodeDocument(document));

        const response = await ctx().api.get(MESSAGES, {
          key: alice.key,
          query: { cursor, order_by: 'sender' },
        });

        expect(response.status).toBe(200);
        expect(response.body).toHaveLength(3);
        const known = new Set(ids(messages));
        expect(response.body.every((m: any) => known.has(m.id))).toBe(true);
      });
    });

    it('refuses limit 0, 1001, "abc" and other non-integers with a 422 on ["query","limit"]', async () => {
      const alice = await createUser(ctx());
      await seedVaried(alice);
      const cases: [string, string][] = [
        ['0', 'greater_than_equal'],
        ['-1', 'greater_than_equal'],
        ['1001', 'less_than_equal'],
        ['abc', 'int_parsing'],
        ['2.5', 'int_parsing'],
        ['', 'int_parsing'],
      ];
      for (const [limit, type] of cases) {
        const response = await ctx().api.get(MESSAGES, { key: alice.key, query: { limit } });
        expect(response.status).toBe(422);
        expect(response.body.detail).toEqual([
          expect.objectContaining({ type, loc: ['query', 'limit'] }),
        ]);
        expect(response.headers.get('x-next-cursor')).toBeNull();
      }
      const bounds = await Promise.all(
        ['1', '1000'].map((limit) => ctx().api.get(MESSAGES, { key: alice.key, query: { limit } })),
      );
      expect(bounds.map((response) => response.status)).toEqual([200, 200]);
      expect(bounds.map((response) => response.body.length)).toEqual([1, 24]);
    });

    it('leaves a key passed in the query out of the Link header', async () => {
      const alice = await createUser(ctx());
      const { messages } = await seedVaried(alice);

      const first = await ctx().api.get(MESSAGES, {
        query: { 'x-api-key': alice.key, session_id: 'alpha', limit: '3' },
      });

      expect(first.status).toBe(200);
      const link = first.headers.get('link') ?? '';
      expect(link).toMatch(LINK);
      expect(link).not.toContain(alice.key);
      expect(link.toLowerCase()).not.toContain('x-api-key');
      expect(first.headers.get('x-next-cursor')).not.toContain(alice.key);
      const target = new URL(linkTarget(first), 'http://client.invalid');
      expect(target.searchParams.get('session_id')).toBe('alpha');
      expect(target.searchParams.get('limit')).toBe('3');

      const withoutKey = await ctx().api.get(linkTarget(first));
      expect(withoutKey.status).toBe(403);
      const second = await ctx().api.get(`${linkTarget(first)}&x-api-key=${alice.key}`);
      expect(second.status).toBe(200);
      const alpha = sorted(messages.filter((m) => m.session_id === 'alpha'));
      expect(second.body).toEqual(alpha.slice(3, 6));
      expect(second.headers.get('link') ?? '').not.toContain(alice.key);
    });

    it("shows the caller only its own messages, whoever's cursor it holds", async () => {
      const alice = await createUser(ctx());
      const bob = await createUser(ctx());
      const { messages: aliceMessages } = await seedVaried(alice);
      const { messages: bobMessages } = await seedVaried(bob);

      const alicePages = await walk(alice.key, { session_id: 'alpha', limit: '3' }, 'link');
      expect(alicePages.flat()).toEqual(
        sorted(aliceMessages.filter((m) => m.session_id === 'alpha')),
      );

      const aliceAll = await walk(alice.key, { limit: '7' }, 'cursor');
      expect(aliceAll.flat()).toEqual(sorted(aliceMessages));

      // A cursor is a position, not a grant: with Alice's cursor Bob reads on in his own messages.
      const aliceFirst = await ctx().api.get(MESSAGES, { key: alice.key, query: { limit: '6' } });
      const cursor = aliceFirst.headers.get('x-next-cursor') as string;
      const position = aliceFirst.body[5];
      const bobPage = await ctx().api.get(MESSAGES, { key: bob.key, query: { cursor } });
      expect(bobPage.status).toBe(200);
      expect(bobPage.body).toEqual(
        sorted(bobMessages)
          .filter((m) => compare(m, position, 'timestamp', 'asc') > 0)
          .slice(0, 6),
      );
      const aliceIds = new Set(ids(aliceMessages));
      expect(bobPage.body.some((m: any) => aliceIds.has(m.id))).toBe(false);
    });

    it('authenticates before it validates the cursor or the limit', async () => {
      const response = await ctx().api.get(MESSAGES, { query: { limit: '0', cursor: 'abc' } });

      expect(response.status).toBe(403);
      expect(response.body).toEqual({ detail: 'An API key must be passed as query or header' });
    });
  },
  { pgbouncer: true },
);
