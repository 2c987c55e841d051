import { randomUUID } from 'node:crypto';
import { Message } from '../../src/monitor/message.entity';
import { messageInput } from '../factories/messages';
import { createUser, TestUser } from '../factories/users';
import { describeEachDatabase } from '../support/test-app';
import { MESSAGE_FIELDS } from '../support/contract';

const MESSAGES = '/api/v1/monitor/messages';
const messageUrl = (id: string) => `${MESSAGES}/${id}`;
const FIELDS = MESSAGE_FIELDS;
const STRONG_ETAG = /^"[^"]+"$/;

describeEachDatabase(
  'GET and PUT /api/v1/monitor/messages/{message_id}',
  (ctx) => {
    async function ingestOne(
      user: TestUser,
      overrides: Record<string, unknown> = {},
    ): Promise<any> {
      const response = await ctx().api.post(MESSAGES, {
        key: user.key,
        body: [
          messageInput({
            session_id: 'support-chat',
            text: 'original text',
            timestamp: '2026-11-24T13:09:00.123Z',
            properties: { source: 'web' },
            ...overrides,
          }),
        ],
      });
      expect(response.status).toBe(201);
      return response.body[0];
    }

    /** The row as stored, read through the database rather than the API. */
    async function stored(id: string): Promise<Message | null> {
      return ctx().dataSource.getRepository(Message).findOneBy({ id });
    }

    async function etagOf(user: TestUser, id: string): Promise<string> {
      const response = await ctx().api.get(messageUrl(id), { key: user.key });
      expect(response.status).toBe(200);
      const etag = response.headers.get('etag');
      expect(etag).toMatch(STRONG_ETAG);
      return etag as string;
    }

    function put(user: TestUser, id: string, body: unknown, ifMatch?: string) {
      return ctx().api.put(messageUrl(id), {
        key: user.key,
        body,
        headers: ifMatch === undefined ? {} : { 'if-match': ifMatch },
      });
    }

    describe('GET', () => {
      it('answers the MessageResponse with a strong ETag that stays while the message does', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice);

        const response = await ctx().api.get(messageUrl(message.id), { key: alice.key });

        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toContain('application/json');
        expect(response.body).toEqual(message);
        expect(Object.keys(response.body)).toEqual(FIELDS);
        expect(response.headers.get('etag')).toMatch(STRONG_ETAG);
        expect(await etagOf(alice, message.id)).toBe(response.headers.get('etag'));

        const upper = await ctx().api.get(messageUrl(message.id.toUpperCase()), { key: alice.key });
        expect(upper.status).toBe(200);
        expect(upper.body).toEqual(message);
      });

      it('gives different messages different ETags', async () => {
        const alice = await createUser(ctx());
        const one = await ingestOne(alice);
        const two = await ingestOne(alice, { text: 'other text' });

        expect(await etagOf(alice, one.id)).not.toBe(await etagOf(alice, two.id));
      });

      it('answers 404 for a missing or foreign message, the same way', async () => {
        const alice = await createUser(ctx());
        const bob = await createUser(ctx());
        const message = await ingestOne(alice);

        for (const [key, id] of [
          [alice.key, randomUUID()],
          [bob.key, message.id],
        ]) {
          const response = await ctx().api.get(messageUrl(id), { key });
          expect(response.status).toBe(404);
          expect(response.body).toEqual({ detail: 'Message not found' });
        }
      });

      it('answers 422 uuid_parsing for a malformed id', async () => {
        const alice = await createUser(ctx());

        for (const id of ['not-a-uuid', '123', `${randomUUID()}0`]) {
          const response = await ctx().api.get(messageUrl(id), { key: alice.key });
          expect(response.status).toBe(422);
          expect(response.body.detail).toEqual([
            expect.objectContaining({
              type: 'uuid_parsing',
              loc: ['path', 'message_id'],
              input: id,
            }),
          ]);
        }
      });

      it('answers 403 without a key, before validating the id', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice);

        for (const id of [message.id, 'not-a-uuid']) {
          const response = await ctx().api.get(messageUrl(id));
          expect(response.status).toBe(403);
          expect(response.body).toEqual({ detail: 'An API key must be passed as query or header' });
        }
      });
    });

    describe('PUT', () => {
      it('changes every field given, answers the MessageResponse and stores it', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice);
        const changes = {
          text: 'corrected text',
          sender: 'Machine',
          sender_name: 'AI',
          session_id: 'support-chat-2',
          context_id: 'ctx-2',
          files: ['a.png', 'b.pdf'],
          edit: false,
          error: true,
          properties: { source: 'api', nested: { n: 1, list: [true, null] } },
          category: 'error',
          content_blocks: [{ title: 'Tool', contents: [{ type: 'text', text: 'x' }] }],
          duration: 3.75,
          session_metadata: { channel: 'slack', thread: { ts: '1.2' } },
        };

        const response = await put(alice, message.id, changes);

        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toContain('application/json');
        const { error: _error, ...visible } = changes;
        expect(response.body).toEqual({ ...message, ...visible });
        expect(Object.keys(response.body)).toEqual(FIELDS);
        expect(response.headers.get('etag')).toMatch(STRONG_ETAG);
        expect(response.headers.get('etag')).toBe(await etagOf(alice, message.id));
        expect(await stored(message.id)).toEqual(
          expect.objectContaining({
            id: message.id,
            flowId: message.flow_id,
            timestamp: message.timestamp,
            text: 'corrected text',
            sender: 'Machine',
            senderName: 'AI',
            sessionId: 'support-chat-2',
            contextId: 'ctx-2',
            edit: false,
            error: true,
            category: 'error',
            duration: 3.75,
          }),
        );
        const row = (await stored(message.id)) as Message;
        expect(JSON.parse(row.files)).toEqual(changes.files);
        expect(JSON.parse(row.properties)).toEqual(changes.properties);
        expect(JSON.parse(row.contentBlocks)).toEqual(changes.content_blocks);
        expect(JSON.parse(row.sessionMetadata as string)).toEqual(changes.session_metadata);
        const listed = await ctx().api.get(MESSAGES, {
          key: alice.key,
          query: { session_id: 'support-chat-2' },
        });
        expect(listed.body).toEqual([response.body]);
      });

      const singleChanges: [string, Record<string, unknown>, Record<string, unknown>][] = [
        ['sender', { sender: 'Machine' }, { sender: 'Machine' }],
        ['sender_name', { sender_name: 'AI' }, { senderName: 'AI' }],
        ['session_id', { session_id: 'moved here 🚀' }, { sessionId: 'moved here 🚀' }],
        ['files', { files: ['x.txt'] }, { files: '["x.txt"]' }],
        ['files (emptied)', { files: [] }, { files: '[]' }],
        ['properties', { properties: { a: { b: [1, 2] } } }, { properties: '{"a":{"b":[1,2]}}' }],
        ['category', { category: 'info' }, { category: 'info' }],
        [
          'content_blocks',
          { content_blocks: [{ title: 't' }] },
          { contentBlocks: '[{"title":"t"}]' },
        ],
        ['edit', { edit: true }, { edit: true }],
        ['context_id', { context_id: 'ctx 🚀' }, { contextId: 'ctx 🚀' }],
        ['duration', { duration: -0.5 }, { duration: -0.5 }],
        [
          'session_metadata',
          { session_metadata: { a: [1, { b: null }] } },
          { sessionMetadata: '{"a":[1,{"b":null}]}' },
        ],
      ];

      for (const [name, body, columns] of singleChanges) {
        it(`changes only ${name} when only ${name} is given`, async () => {
          const alice = await createUser(ctx());
          const message = await ingestOne(alice, { files: ['keep.txt'] });
          const before = (await stored(message.id)) as Message;

          const response = await put(alice, message.id, body);

          expect(response.status).toBe(200);
          expect(response.body).toEqual({ ...message, ...body });
          expect(await stored(message.id)).toEqual({ ...before, ...columns });
        });
      }

      it('clears context_id with null and leaves it alone when left out', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice, { context_id: 'ctx-1' });
        expect(message.context_id).toBe('ctx-1');

        const untouched = await put(alice, message.id, { text: 'other' });
        expect(untouched.body.context_id).toBe('ctx-1');
        const cleared = await put(alice, message.id, { context_id: null });

        expect(cleared.status).toBe(200);
        expect(cleared.body.context_id).toBeNull();
        expect((await stored(message.id))?.contextId).toBeNull();
      });

      it('answers 422 for a context_id that is not a string, or is over 255 characters', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice, { context_id: 'ctx-1' });

        for (const [value, type] of [
          [42, 'string_type'],
          ['x'.repeat(256), 'string_too_long'],
        ] as const) {
          const response = await put(alice, message.id, { context_id: value });
          expect(response.status).toBe(422);
          expect(response.body.detail).toEqual([
            expect.objectContaining({ type, loc: ['body', 'context_id'], input: value }),
          ]);
        }
        expect((await stored(message.id))?.contextId).toBe('ctx-1');
      });

      it('clears duration and session_metadata with null and leaves them alone when left out', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice, {
          duration: 2.5,
          session_metadata: { channel: 'web' },
        });
        expect(message).toMatchObject({ duration: 2.5, session_metadata: { channel: 'web' } });

        const untouched = await put(alice, message.id, { text: 'other' });
        expect(untouched.body).toMatchObject({
          duration: 2.5,
          session_metadata: { channel: 'web' },
        });
        const cleared = await put(alice, message.id, { duration: null, session_metadata: null });

        expect(cleared.status).toBe(200);
        expect(cleared.body).toMatchObject({ duration: null, session_metadata: null });
        expect(await stored(message.id)).toMatchObject({ duration: null, sessionMetadata: null });
        const read = await ctx().api.get(messageUrl(message.id), { key: alice.key });
        expect(read.body).toMatchObject({ duration: null, session_metadata: null });
      });

      it('answers 422 for a duration that is not a number, or session_metadata not an object', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice, { duration: 1, session_metadata: { k: 'v' } });
        const before = await stored(message.id);

        for (const [field, value, type] of [
          ['duration', '2.5', 'float_type'],
          ['duration', false, 'float_type'],
          ['duration', [1], 'float_type'],
          ['session_metadata', 'text', 'dict_type'],
          ['session_metadata', [1, 2], 'dict_type'],
          ['session_metadata', 7, 'dict_type'],
        ] as const) {
          const response = await put(alice, message.id, { [field]: value });
          expect(response.status).toBe(422);
          expect(response.body.detail).toEqual([
            expect.objectContaining({ type, loc: ['body', field], input: value }),
          ]);
        }
        const infinite = await ctx().api.put(messageUrl(message.id), {
          key: alice.key,
          rawBody: '{"duration":1e999}',
        });
        expect(infinite.status).toBe(422);
        expect(infinite.body.detail).toEqual([
          expect.objectContaining({ type: 'finite_number', loc: ['body', 'duration'] }),
        ]);
        expect(await stored(message.id)).toEqual(before);
      });

      it('changes error, which the response does not show', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice);
        const before = (await stored(message.id)) as Message;
        expect(before.error).toBe(false);

        const response = await put(alice, message.id, { error: true });

        expect(response.status).toBe(200);
        expect(response.body).toEqual(message);
        expect(await stored(message.id)).toEqual({ ...before, error: true });
      });

      describe('edit', () => {
        it('becomes true when the text changes', async () => {
          const alice = await createUser(ctx());
          const message = await ingestOne(alice);

          const response = await put(alice, message.id, { text: 'new text' });

          expect(response.status).toBe(200);
          expect(response.body).toEqual({ ...message, text: 'new text', edit: true });
          expect(await stored(message.id)).toEqual(
            expect.objectContaining({ text: 'new text', edit: true }),
          );
        });

        it('stays false when the same text is sent', async () => {
          const alice = await createUser(ctx());
          const message = await ingestOne(alice);
          const before = await stored(message.id);

          const response = await put(alice, message.id, { text: 'original text' });

          expect(response.status).toBe(200);
          expect(response.body).toEqual(message);
          expect(response.body.edit).toBe(false);
          expect(await stored(message.id)).toEqual(before);
        });

        it("follows the body's own edit over the text change", async () => {
          const alice = await createUser(ctx());
          const message = await ingestOne(alice);

          const response = await put(alice, message.id, { text: 'silent fix', edit: false });

          expect(response.status).toBe(200);
          expect(response.body).toEqual({ ...message, text: 'silent fix', edit: false });
          expect(await stored(message.id)).toEqual(
            expect.objectContaining({ text: 'silent fix', edit: false }),
          );

          const marked = await put(alice, message.id, { text: 'silent fix', edit: true });
          expect(marked.body.edit).toBe(true);
          const unmarked = await put(alice, message.id, { edit: false });
          expect(unmarked.body).toEqual({ ...message, text: 'silent fix', edit: false });
          expect(await stored(message.id)).toEqual(expect.objectContaining({ edit: false }));
        });

        it('stays true on an edited message when the same text is sent', async () => {
          const alice = await createUser(ctx());
          const message = await ingestOne(alice, { edit: true });

          const response = await put(alice, message.id, { text: 'original text', category: 'x' });

          expect(response.status).toBe(200);
          expect(response.body).toEqual({ ...message, category: 'x', edit: true });
        });
      });

      it('answers 200 with the message unchanged for an empty body', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice);
        const before = await stored(message.id);
        const etag = await etagOf(alice, message.id);

        const response = await put(alice, message.id, {});

        expect(response.status).toBe(200);
        expect(response.body).toEqual(message);
        expect(response.headers.get('etag')).toBe(etag);
        expect(await stored(message.id)).toEqual(before);
      });

      describe('refuses a bad body with 422 and changes nothing', () => {
        const cases: [string, unknown, string | undefined, (string | number)[]][] = [
          [
            'an unknown field',
            { text: 'x', colour: 'blue' },
            'extra_forbidden',
            ['body', 'colour'],
          ],
          ['the id', { id: randomUUID() }, 'extra_forbidden', ['body', 'id']],
          [
            'the timestamp',
            { timestamp: '2020-01-01T00:00:00Z' },
            'extra_forbidden',
            ['body', 'timestamp'],
          ],
          ['a number as text', { text: 5 }, 'string_type', ['body', 'text']],
          ['null text', { text: null }, 'string_type', ['body', 'text']],
          ['null sender', { sender: null }, 'string_type', ['body', 'sender']],
          ['an empty sender', { sender: '' }, 'string_too_short', ['body', 'sender']],
          [
            'a long sender_name',
            { sender_name: 'x'.repeat(256) },
            'string_too_long',
            ['body', 'sender_name'],
          ],
          ['null session_id', { session_id: null }, 'string_type', ['body', 'session_id']],
          ['an empty session_id', { session_id: '' }, 'string_too_short', ['body', 'session_id']],
          [
            'a control character in session_id',
            { session_id: 'a\u0007b' },
            'value_error',
            ['body', 'session_id'],
          ],
          ['a string as files', { files: 'a.png' }, 'list_type', ['body', 'files']],
          ['a number in files', { files: ['a', 1] }, 'string_type', ['body', 'files', 1]],
          // pydantic says list_type; the shared StringListField answers string_type for null.
          ['null files', { files: null }, undefined, ['body', 'files']],
          ['a string as edit', { edit: 'yes' }, 'bool_type', ['body', 'edit']],
          ['null edit', { edit: null }, 'bool_type', ['body', 'edit']],
          ['a number as error', { error: 1 }, 'bool_type', ['body', 'error']],
          ['a list as properties', { properties: [] }, 'dict_type', ['body', 'properties']],
          ['null properties', { properties: null }, 'dict_type', ['body', 'properties']],
          ['null category', { category: null }, 'string_type', ['body', 'category']],
          [
            'an object as content_blocks',
            { content_blocks: {} },
            'list_type',
            ['body', 'content_blocks'],
          ],
          [
            'a string in content_blocks',
            { content_blocks: [{}, 'x'] },
            'dict_type',
            ['body', 'content_blocks', 1],
          ],
          [
            'a valid change beside a bad one',
            { text: 'changed', edit: 'yes' },
            'bool_type',
            ['body', 'edit'],
          ],
          ['a list body', [{ text: 'x' }], 'dict_type', ['body']],
          ['a string body', 'text', 'dict_type', ['body']],
        ];

        for (const [name, body, type, loc] of cases) {
          it(name, async () => {
            const alice = await createUser(ctx());
            const message = await ingestOne(alice);
            const before = await stored(message.id);

            const response = await put(alice, message.id, body);

            expect(response.status).toBe(422);
            expect(response.body.detail).toEqual(
              expect.arrayContaining([expect.objectContaining(type ? { type, loc } : { loc })]),
            );
            expect(await stored(message.id)).toEqual(before);
            expect((await ctx().api.get(messageUrl(message.id), { key: alice.key })).body).toEqual(
              message,
            );
          });
        }

        it('malformed JSON', async () => {
          const alice = await createUser(ctx());
          const message = await ingestOne(alice);
          const before = await stored(message.id);

          const response = await ctx().api.put(messageUrl(message.id), {
            key: alice.key,
            rawBody: '{"text": "x",',
          });

          expect(response.status).toBe(422);
          expect(response.body.detail).toEqual([expect.objectContaining({ type: 'json_invalid' })]);
          expect(await stored(message.id)).toEqual(before);
        });
      });

      it('answers 422 uuid_parsing for a malformed id', async () => {
        const alice = await createUser(ctx());

        const response = await put(alice, 'not-a-uuid', { text: 'x' });

        expect(response.status).toBe(422);
        expect(response.body.detail).toEqual([
          expect.objectContaining({
            type: 'uuid_parsing',
            loc: ['path', 'message_id'],
            input: 'not-a-uuid',
          }),
        ]);
      });

      it("answers 404 for a missing or foreign message and leaves the other user's untouched", async () => {
        const alice = await createUser(ctx());
        const bob = await createUser(ctx());
        const message = await ingestOne(alice);
        const before = await stored(message.id);
        const etag = await etagOf(alice, message.id);

        for (const [user, id, ifMatch] of [
          [bob, message.id, undefined],
          [bob, message.id, '*'],
          [bob, message.id, etag],
          [alice, randomUUID(), undefined],
          [alice, randomUUID(), '*'],
        ] as const) {
          const response = await put(user, id, { text: 'hijacked', session_id: 'stolen' }, ifMatch);
          expect(response.status).toBe(404);
          expect(response.body).toEqual({ detail: 'Message not found' });
        }
        expect(await stored(message.id)).toEqual(before);
        expect(await etagOf(alice, message.id)).toBe(etag);
      });

      it('answers 403 without a key and changes nothing', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice);
        const before = await stored(message.id);

        const response = await ctx().api.put(messageUrl(message.id), { body: { text: 'x' } });

        expect(response.status).toBe(403);
        expect(await stored(message.id)).toEqual(before);
      });

      it('lets the last writer win without If-Match', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice);

        const first = await put(alice, message.id, { text: 'first writer' });
        const second = await put(alice, message.id, { text: 'second writer' });

        expect([first.status, second.status]).toEqual([200, 200]);
        expect(second.body).toEqual({ ...message, text: 'second writer', edit: true });
        expect(await stored(message.id)).toEqual(
          expect.objectContaining({ text: 'second writer', edit: true }),
        );
      });
    });

    describe('If-Match', () => {
      it('applies the change for the current ETag and answers a new one', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice);
        const etag = await etagOf(alice, message.id);

        const response = await put(alice, message.id, { text: 'checked edit' }, etag);

        expect(response.status).toBe(200);
        expect(response.body).toEqual({ ...message, text: 'checked edit', edit: true });
        const newEtag = response.headers.get('etag');
        expect(newEtag).toMatch(STRONG_ETAG);
        expect(newEtag).not.toBe(etag);
        expect(await etagOf(alice, message.id)).toBe(newEtag);

        const chained = await put(alice, message.id, { category: 'note' }, newEtag as string);
        expect(chained.status).toBe(200);
        expect(await stored(message.id)).toEqual(
          expect.objectContaining({ text: 'checked edit', category: 'note' }),
        );
      });

      it('answers 412 for a stale ETag and changes nothing', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice);
        const stale = await etagOf(alice, message.id);
        const first = await put(alice, message.id, { text: 'someone else was faster' }, stale);
        expect(first.status).toBe(200);
        const before = await stored(message.id);

        for (const ifMatch of [
          stale,
          '"made-up"',
          `"${stale}"`,
          'garbage',
          `${stale.slice(0, -1)}x"`,
        ]) {
          const response = await put(
            alice,
            message.id,
            { text: 'overwrite', session_id: 'b' },
            ifMatch,
          );
          expect(response.status).toBe(412);
          expect(response.body).toEqual({ detail: 'Precondition failed' });
        }
        expect(await stored(message.id)).toEqual(before);
      });

      it('matches any version with "*", and any tag of a list', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice);
        const etag = await etagOf(alice, message.id);

        const star = await put(alice, message.id, { text: 'any version' }, '*');
        expect(star.status).toBe(200);
        expect(star.body.text).toBe('any version');

        const current = star.headers.get('etag') as string;
        const listed = await put(alice, message.id, { text: 'from a list' }, `${etag}, ${current}`);
        expect(listed.status).toBe(200);
        expect(await stored(message.id)).toEqual(expect.objectContaining({ text: 'from a list' }));
      });

      it('never matches a weak ETag', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice);
        const etag = await etagOf(alice, message.id);
        const before = await stored(message.id);

        for (const ifMatch of [`W/${etag}`, `W/${etag}, W/"other"`]) {
          const response = await put(alice, message.id, { text: 'weakly matched' }, ifMatch);
          expect(response.status).toBe(412);
          expect(response.body).toEqual({ detail: 'Precondition failed' });
        }
        expect(await stored(message.id)).toEqual(before);
      });

      it('answers 412 for a stale ETag even when the body is empty', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice);
        const stale = await etagOf(alice, message.id);
        await put(alice, message.id, { text: 'changed' });

        const response = await put(alice, message.id, {}, stale);

        expect(response.status).toBe(412);
        expect(response.body).toEqual({ detail: 'Precondition failed' });
      });

      it('lets exactly one of two racing editors with the same ETag win', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice);

        for (let round = 0; round < 15; round += 1) {
          const etag = await etagOf(alice, message.id);
          const texts = [`editor A, round ${round}`, `editor B, round ${round}`];
          const responses = await Promise.all(
            texts.map((text) => put(alice, message.id, { text }, etag)),
          );

          const statuses = responses.map((response) => response.status).sort();
          expect(statuses).toEqual([200, 412]);
          const winner = responses.findIndex((response) => response.status === 200);
          const loser = responses[1 - winner];
          expect(loser.body).toEqual({ detail: 'Precondition failed' });
          expect(await stored(message.id)).toEqual(
            expect.objectContaining({ text: texts[winner] }),
          );
          expect(await etagOf(alice, message.id)).toBe(responses[winner].headers.get('etag'));
        }
      });

      it('lets exactly one of five racing editors win, whatever fields they change', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice);

        for (let round = 0; round < 5; round += 1) {
          const etag = await etagOf(alice, message.id);
          const bodies = [
            { text: `text ${round}` },
            { session_id: `session ${round}` },
            { properties: { round } },
            { category: `category ${round}` },
            { files: [`file ${round}`] },
          ];
          const responses = await Promise.all(
            bodies.map((body) => put(alice, message.id, body, etag)),
          );

          expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
          expect(responses.filter((response) => response.status === 412)).toHaveLength(4);
          const winner = responses.find((response) => response.status === 200);
          const current = await ctx().api.get(messageUrl(message.id), { key: alice.key });
          expect(current.body).toEqual(winner?.body);
        }
      });

      it('counts error, which the response does not show, as a change: racing editors of it conflict', async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice);
        const etag = await etagOf(alice, message.id);

        const flagged = await put(alice, message.id, { error: true }, etag);
        expect(flagged.status).toBe(200);
        expect(flagged.headers.get('etag')).not.toBe(etag);
        expect(await etagOf(alice, message.id)).toBe(flagged.headers.get('etag'));

        const stale = await put(alice, message.id, { error: false }, etag);
        expect(stale.status).toBe(412);
        expect(stale.body).toEqual({ detail: 'Precondition failed' });
        expect(await stored(message.id)).toEqual(expect.objectContaining({ error: true }));

        const seen = await etagOf(alice, message.id);
        const editors = await Promise.all(
          [false, true].map((error) => put(alice, message.id, { error, category: 'c' }, seen)),
        );
        expect(editors.map((response) => response.status).sort()).toEqual([200, 412]);
      });

      it("gets a new ETag when the message's session is renamed, so an edit made before fails", async () => {
        const alice = await createUser(ctx());
        const message = await ingestOne(alice, { session_id: 'before-rename' });
        const etag = await etagOf(alice, message.id);

        const rename = await ctx().api.patch(`${MESSAGES}/session/before-rename`, {
          key: alice.key,
          query: { new_session_id: 'after-rename' },
        });
        expect(rename.status).toBe(200);

        const renamedEtag = await etagOf(alice, message.id);
        expect(renamedEtag).not.toBe(etag);
        const stale = await put(alice, message.id, { session_id: 'before-rename' }, etag);
        expect(stale.status).toBe(412);
        expect(await stored(message.id)).toEqual(
          expect.objectContaining({ sessionId: 'after-rename', text: 'original text' }),
        );

        const fresh = await put(alice, message.id, { text: 'after rename' }, renamedEtag);
        expect(fresh.status).toBe(200);
        expect(fresh.body).toEqual({
          ...message,
          session_id: 'after-rename',
          text: 'after rename',
          edit: true,
        });
      });
    });
  },
  { pgbouncer: true },
);
