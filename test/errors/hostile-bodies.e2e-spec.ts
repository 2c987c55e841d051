import { randomUUID } from 'node:crypto';
import * as zlib from 'node:zlib';
import { MAX_ECHO_CHARACTERS } from '../../src/common/validation/bounded-echo';
import { messageInput } from '../factories/messages';
import { createUser } from '../factories/users';
import { describeEachDatabase } from '../support/test-app';

const MESSAGES = '/api/v1/monitor/messages';
const NOWHERE = `${MESSAGES}/00000000-0000-0000-0000-000000000000`;

function nested(depth: number, leaf: string): string {
  return `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
}

/** Each accepted Content-Encoding and how to make a body in it. */
const CODINGS: [name: string, encode: (text: string) => Buffer][] = [
  ['gzip', (text) => zlib.gzipSync(text)],
  ['deflate', (text) => zlib.deflateSync(text)],
  ['br', (text) => zlib.brotliCompressSync(text)],
];

/** What a client saw of one request: its answer, or that none came within 10 s. */
interface Answer {
  status: number | 'no answer in 10 s';
  headers: Headers;
  body: any;
}

/** Sends raw bytes with the given headers; gives up after 10 s rather than hanging the suite. */
async function sendBytes(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<Answer> {
  try {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    const json = (response.headers.get('content-type') ?? '').includes('json') && text !== '';
    return {
      status: response.status,
      headers: response.headers,
      body: json ? (JSON.parse(text) as unknown) : text,
    };
  } catch (error) {
    if ((error as Error).name !== 'TimeoutError') {
      throw error;
    }
    return { status: 'no answer in 10 s', headers: new Headers(), body: undefined };
  }
}

describeEachDatabase('hostile bodies', (ctx) => {
  describe('objects with their own constructor, __proto__ or prototype keys: never a 500', () => {
    const hostile = ['{"constructor":1}', '{"__proto__":{"x":1}}', '{"prototype":null}'];

    it.each(hostile)('as a field value in a PUT, ingest and key creation: %s', async (object) => {
      const alice = await createUser(ctx());
      const message = JSON.stringify(messageInput());
      for (const field of ['text', 'files', 'sender', 'edit', 'flow_id']) {
        const put = await ctx().api.put(NOWHERE, {
          key: alice.key,
          rawBody: `{"${field}":${object}}`,
        });
        expect(put.status).toBe(422);
        const ingest = await ctx().api.post(MESSAGES, {
          key: alice.key,
          rawBody: `[${message.slice(0, -1)},"${field}":${object}}]`,
        });
        expect(ingest.status).toBe(422);
        expect(ingest.body.detail[0].loc).toEqual(['body', 0, field]);
      }
      const key = await ctx().api.post('/api/v1/api_key/', {
        key: alice.key,
        rawBody: `{"name":${object}}`,
      });
      expect(key.status).toBe(422);
      expect(key.body.detail[0]).toMatchObject({ type: 'string_type', loc: ['body', 'name'] });
      expect((await ctx().api.get(MESSAGES, { key: alice.key })).body).toEqual([]);
    });

    it.each(['__proto__', 'constructor', 'prototype'])(
      'a top-level %s key in a message is refused as extra_forbidden',
      async (name) => {
        const alice = await createUser(ctx());
        const message = JSON.stringify(messageInput());
        for (const value of ['1', '{}', '{"a":1}', 'null', '"text"']) {
          const response = await ctx().api.post(MESSAGES, {
            key: alice.key,
            rawBody: `[${message.slice(0, -1)},"${name}":${value}}]`,
          });
          expect(response.status).toBe(422);
          expect(response.body.detail).toEqual([
            {
              type: 'extra_forbidden',
              loc: ['body', 0, name],
              msg: 'Extra inputs are not permitted',
              input: JSON.parse(value),
            },
          ]);
          const put = await ctx().api.put(NOWHERE, {
            key: alice.key,
            rawBody: `{"text":"x","${name}":${value}}`,
          });
          expect(put.status).toBe(422);
          expect(put.body.detail[0]).toMatchObject({
            type: 'extra_forbidden',
            loc: ['body', name],
          });
        }
        expect((await ctx().api.get(MESSAGES, { key: alice.key })).body).toEqual([]);
      },
    );

    it('a query parameter named constructor or __proto__ is ignored like any unknown one', async () => {
      const alice = await createUser(ctx());
      for (const name of ['constructor', '__proto__', 'prototype', 'hasOwnProperty', 'toString']) {
        const response = await ctx().api.get(MESSAGES, { key: alice.key, query: { [name]: 'x' } });
        expect(response.status).toBe(200);
        expect(response.body).toEqual([]);
      }
    });
  });

  describe('nesting', () => {
    it.each([
      ['a list body', MESSAGES, 'POST', (depth: number) => nested(depth, '1')],
      ['the DELETE list body', MESSAGES, 'DELETE', (depth: number) => nested(depth, '1')],
      ['the sessions list body', `${MESSAGES}/sessions`, 'DELETE', (d: number) => nested(d, '1')],
      ['a field of an object body', NOWHERE, 'PUT', (d: number) => `{"files":${nested(d, '')}}`],
    ])('of any depth in %s answers a 422 naming the limit', async (_label, path, method, body) => {
      const alice = await createUser(ctx());
      for (const depth of [65, 1500, 5000, 1_000_000]) {
        const response = await ctx().api.request(method, path, {
          key: alice.key,
          rawBody: body(depth),
        });
        expect(response.status).toBe(422);
        expect(response.body).toEqual({
          detail: [
            {
              type: 'value_error',
              loc: ['body'],
              msg: 'Value error, JSON nested deeper than 64 levels',
              input: null,
            },
          ],
        });
      }
    });

    it('up to the limit is judged by the fields as usual', async () => {
      const alice = await createUser(ctx());
      // The list is level 1, the message 2, properties 3: 61 more levels fit.
      const deep = JSON.parse(`{"k":${nested(60, '"leaf"')}}`) as object;
      const response = await ctx().api.post(MESSAGES, {
        key: alice.key,
        body: [messageInput({ properties: deep })],
      });
      expect(response.status).toBe(201);
      expect(response.body[0].properties).toEqual(deep);
    });

    it('is judged after authentication', async () => {
      const response = await ctx().api.post(MESSAGES, { rawBody: nested(10_000, '') });
      expect(response.status).toBe(403);
    });
  });

  describe('a 422 echoes a bounded prefix of what it refuses', () => {
    it('a 9 MB string comes back as its first characters', async () => {
      const alice = await createUser(ctx());
      const huge = 'x'.repeat(9 * 1024 * 1024);
      const response = await ctx().api.post(MESSAGES, {
        key: alice.key,
        body: [messageInput({ session_id: huge })],
      });
      expect(response.status).toBe(422);
      expect(response.text.length).toBeLessThan(1000);
      expect(response.body.detail).toEqual([
        {
          type: 'string_too_long',
          loc: ['body', 0, 'session_id'],
          msg: 'String should have at most 255 characters',
          input: `${'x'.repeat(MAX_ECHO_CHARACTERS - 1)}…`,
        },
      ]);
    });

    it('a large object or list comes back as a prefix of its JSON', async () => {
      const alice = await createUser(ctx());
      const big = { a: 'y'.repeat(1_000_000) };
      const object = await ctx().api.put(NOWHERE, { key: alice.key, body: { text: big } });
      expect(object.status).toBe(422);
      expect(object.body.detail[0].input).toBe(`{"a":"${'y'.repeat(MAX_ECHO_CHARACTERS - 7)}…`);

      const wrong = await ctx().api.put(NOWHERE, {
        key: alice.key,
        body: { sender: Array.from({ length: 100_000 }, (_, index) => index) },
      });
      expect(wrong.status).toBe(422);
      expect(wrong.body.detail[0].input).toMatch(/^\[0,1,2,3,4,5,6,7,8,9,10,/);
      expect(wrong.text.length).toBeLessThan(1000);
    });

    it('an unknown field with a huge name is echoed bounded in loc too', async () => {
      const alice = await createUser(ctx());
      const name = 'n'.repeat(100_000);
      const response = await ctx().api.put(NOWHERE, { key: alice.key, body: { [name]: 1 } });
      expect(response.status).toBe(422);
      expect(response.body.detail[0].type).toBe('extra_forbidden');
      expect(response.body.detail[0].loc[1]).toHaveLength(MAX_ECHO_CHARACTERS);
    });

    it('a short value is still echoed as it is', async () => {
      const alice = await createUser(ctx());
      const response = await ctx().api.put(NOWHERE, {
        key: alice.key,
        body: { sender: { short: [1, 2] } },
      });
      expect(response.body.detail[0].input).toEqual({ short: [1, 2] });
    });
  });

  describe('compressed bodies', () => {
    const WRONG_KEY = `sk-${'w'.repeat(43)}`;

    function headersFor(coding: string, key?: string): Record<string, string> {
      return {
        'content-type': 'application/json',
        'content-encoding': coding,
        ...(key === undefined ? {} : { 'x-api-key': key }),
      };
    }

    it.each(CODINGS)(
      '%s: a valid body is read; junk or a cut one is a 422 at once, after authentication',
      async (coding, encode) => {
        const alice = await createUser(ctx());
        const base = ctx().api.baseUrl;
        const valid = await sendBytes(
          base,
          'POST',
          MESSAGES,
          headersFor(coding, alice.key),
          encode(JSON.stringify([messageInput({ text: 'compressed' })])),
        );
        expect(valid.status).toBe(201);
        expect(valid.body[0].text).toBe('compressed');

        const whole = encode(JSON.stringify([messageInput({ text: 'x'.repeat(2000) })]));
        const broken = {
          junk: Buffer.from('junk'),
          'cut in half': whole.subarray(0, Math.ceil(whole.length / 2)),
          'garbage after its first bytes': Buffer.concat([
            whole.subarray(0, 3),
            Buffer.alloc(64, 0xff),
          ]),
        };
        for (const [label, body] of Object.entries(broken)) {
          for (const [method, path] of [
            ['POST', MESSAGES],
            ['PUT', NOWHERE],
            ['DELETE', MESSAGES],
          ]) {
            const refused = await sendBytes(
              base,
              method,
              path,
              headersFor(coding, alice.key),
              body,
            );
            expect({ label, method, ...refused, headers: undefined }).toEqual({
              label,
              method,
              status: 422,
              headers: undefined,
              body: {
                detail: [
                  {
                    type: 'json_invalid',
                    loc: ['body'],
                    msg: `JSON decode error: the body is not valid ${coding} data`,
                    input: null,
                  },
                ],
              },
            });
            for (const key of [undefined, WRONG_KEY]) {
              const anonymous = await sendBytes(base, method, path, headersFor(coding, key), body);
              expect({ label, method, status: anonymous.status }).toEqual({
                label,
                method,
                status: 403,
              });
            }
          }
        }
        const stored = await ctx().api.get(MESSAGES, { key: alice.key });
        expect(stored.body.map((message: { text: string }) => message.text)).toEqual([
          'compressed',
        ]);
      },
    );

    it.each(['zstd', 'compress', 'x-unknown', 'gzip, br', 'br, gzip', 'identity, gzip'])(
      'Content-Encoding "%s" is a 415 on any body, with or without a key',
      async (coding) => {
        const alice = await createUser(ctx());
        const message = JSON.stringify(messageInput());
        const cases: [string, string, Record<string, string>, string][] = [
          ['POST', MESSAGES, { 'content-type': 'application/json' }, `[${message}]`],
          ['POST', `${MESSAGES}/import`, { 'content-type': 'application/x-ndjson' }, message],
          ['PUT', NOWHERE, {}, '{"text":"no type"}'],
          ['DELETE', MESSAGES, { 'content-type': 'text/plain' }, '[]'],
        ];
        for (const [method, path, headers, body] of cases) {
          for (const key of [alice.key, undefined]) {
            const answer = await sendBytes(
              ctx().api.baseUrl,
              method,
              path,
              { ...headers, 'content-encoding': coding, ...(key ? { 'x-api-key': key } : {}) },
              Buffer.from(body),
            );
            expect({ method, path, status: answer.status, body: answer.body }).toEqual({
              method,
              path,
              status: 415,
              body: {
                detail:
                  'Unsupported Content-Encoding: send the body as it is, or compressed once with gzip, deflate or br',
              },
            });
            expect(answer.headers.get('accept-encoding')).toBe('gzip, deflate, br');
          }
        }
        expect((await ctx().api.get(MESSAGES, { key: alice.key })).body).toEqual([]);
      },
    );

    it('a compression bomb stops at the body limit: 413 with a key, 403 without', async () => {
      const alice = await createUser(ctx());
      const inflated = Buffer.alloc(64 * 1024 * 1024, 0x20);
      const bombs: [string, Buffer][] = [
        ['gzip', zlib.gzipSync(inflated)],
        ['deflate', zlib.deflateSync(inflated)],
        [
          'br',
          zlib.brotliCompressSync(inflated, {
            params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 },
          }),
        ],
      ];
      for (const [coding, bomb] of bombs) {
        expect(bomb.length).toBeLessThan(256 * 1024);
        const base = ctx().api.baseUrl;
        const refused = await sendBytes(
          base,
          'POST',
          MESSAGES,
          headersFor(coding, alice.key),
          bomb,
        );
        expect({ coding, status: refused.status, body: refused.body }).toEqual({
          coding,
          status: 413,
          body: { detail: 'Request body too large: the limit is 10 MiB' },
        });
        const anonymous = await sendBytes(base, 'POST', MESSAGES, headersFor(coding), bomb);
        expect({ coding, status: anonymous.status }).toEqual({ coding, status: 403 });
      }
      // The service still answers, and stored nothing.
      expect((await ctx().api.get(MESSAGES, { key: alice.key })).body).toEqual([]);
    });

    it('a body that claims an encoding but is empty reads as an empty body', async () => {
      const alice = await createUser(ctx());
      const plain = await ctx().api.post(MESSAGES, { key: alice.key, rawBody: '' });
      expect(plain.status).toBe(422);
      for (const coding of ['gzip', 'deflate', 'br', 'zstd']) {
        const empty = await sendBytes(
          ctx().api.baseUrl,
          'POST',
          MESSAGES,
          headersFor(coding, alice.key),
          Buffer.alloc(0),
        );
        expect({ coding, status: empty.status, body: empty.body }).toEqual({
          coding,
          status: 422,
          body: plain.body,
        });
      }
    });
  });

  it('a message id that does not exist still answers 404 for a valid body', async () => {
    const alice = await createUser(ctx());
    const response = await ctx().api.put(`${MESSAGES}/${randomUUID()}`, {
      key: alice.key,
      body: { properties: JSON.parse('{"constructor":1,"__proto__":{"a":1}}') as object },
    });
    expect(response.status).toBe(404);
  });
});
