import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { UNSUPPORTED_CODING_DETAIL } from '../../src/common/http/content-encoding';
import { messageInput } from '../factories/messages';
import { createUser, TestUser } from '../factories/users';
import { databaseEnv } from '../support/cli-runner';
import { databaseTag, dropTestDatabase, testDatabases } from '../support/databases';
import { ServiceProcess } from '../support/process-service';
import { describeEachDatabase, startTestApp, TestApp } from '../support/test-app';

const MESSAGES = '/api/v1/monitor/messages';
const IMPORT = '/api/v1/monitor/messages/import';
const EXPORT = '/api/v1/monitor/messages/export';
const at = (seconds: number) => new Date(Date.UTC(2026, 10, 24, 13) + seconds * 1000).toISOString();

async function exportText(testApp: TestApp, key: string): Promise<string> {
  const response = await fetch(`${testApp.api.baseUrl}${EXPORT}`, {
    headers: { 'x-api-key': key },
  });
  expect(response.status).toBe(200);
  return response.text();
}

async function countMessages(testApp: TestApp): Promise<number> {
  const [row] = await testApp.dataSource.query<{ count: string | number }[]>(
    'SELECT COUNT(*) AS "count" FROM "message"',
  );
  return Number(row.count);
}

/** Posts `body` (bytes, or a stream that may never end) to the import with `headers`. */
async function postImport(
  baseUrl: string,
  key: string,
  body: Uint8Array | ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${baseUrl}${IMPORT}`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/x-ndjson', ...headers },
    body,
    duplex: 'half',
    signal,
  });
  return { status: response.status, body: await response.json() };
}

/** One message line whose JSON nests `depth` levels (the line's object is the first). */
function nestedLine(depth: number, flowId: string = randomUUID()): string {
  const properties = `${'{"a":'.repeat(depth - 1)}1${'}'.repeat(depth - 1)}`;
  return `${JSON.stringify(messageInput({ flow_id: flowId })).slice(0, -1)},"properties":${properties}}`;
}

/** Lines of distinct messages of one flow, with a newline after each. */
function messageLines(count: number, flowId: string = randomUUID()): string {
  return Array.from(
    { length: count },
    (_, i) =>
      `${JSON.stringify(messageInput({ flow_id: flowId, text: `line ${i} ${randomUUID()}`, timestamp: at(i) }))}\n`,
  ).join('');
}

/** A gzip of `text` cut in the middle, and the line the cut falls in. */
function truncatedGzip(text: string): { bytes: Buffer; brokenLine: number } {
  const whole = zlib.gzipSync(text);
  const bytes = whole.subarray(0, Math.floor(whole.length / 2));
  const readable = zlib.gunzipSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const completeLines = readable.toString('utf8').split('\n').length - 1;
  return { bytes, brokenLine: completeLines + 1 };
}

/** Gzip members one after another: `gibibytes` GiB of one line with no end, from about a MiB. */
function gzipBomb(gibibytes: number): Buffer {
  const member = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x61), { level: 9 });
  return Buffer.concat(Array<Buffer>(gibibytes * 16).fill(member));
}

function importBody(
  testApp: TestApp,
  key: string | undefined,
  body: string,
  type = 'application/x-ndjson',
) {
  return testApp.api.post(IMPORT, {
    key,
    rawBody: body,
    headers: { 'content-type': type },
  });
}

describeEachDatabase(
  'POST /api/v1/monitor/messages/import',
  (ctx) => {
    async function seed(user: TestUser, count = 6): Promise<any[]> {
      const flows = [randomUUID(), randomUUID()];
      const response = await ctx().api.post(MESSAGES, {
        key: user.key,
        body: Array.from({ length: count }, (_, i) =>
          messageInput({
            flow_id: flows[i % 2],
            session_id: `s${i % 3}`,
            context_id: i % 2 === 0 ? `ctx-${i}` : null,
            text: `message ${i} ünïcode 🚀 "quoted"\n`,
            timestamp: at(i),
            files: i === 1 ? ['a.png'] : [],
            properties: { i, nested: { ok: true } },
            content_blocks: i === 2 ? [{ title: 't', contents: [] }] : [],
            edit: i === 3,
            category: i === 4 ? 'tool' : 'message',
            duration: i % 3 === 0 ? null : i * 0.1,
            session_metadata: i % 2 === 0 ? { i, channel: 'web' } : null,
          }),
        ),
      });
      expect(response.status).toBe(201);
      return response.body;
    }

    it('restores an export into an empty database row for row, and a rerun changes nothing', async () => {
      const alice = await createUser(ctx());
      await seed(alice);
      const backup = await exportText(ctx(), alice.key);
      const database = testDatabases().find((candidate) => candidate.name === ctx().database.name)!;
      const fresh = await startTestApp(database);
      try {
        const restorer = await createUser(fresh, 'restorer');

        const first = await importBody(fresh, restorer.key, backup);
        expect(first.status).toBe(200);
        expect(first.body).toEqual({ stored: 6, skipped: 0 });
        expect(await exportText(fresh, restorer.key)).toBe(backup);
        expect(backup).toContain('"duration":0.5,"session_metadata":null}');
        expect(backup).toContain('"duration":null,"session_metadata":{"i":0,"channel":"web"}}');

        const again = await importBody(fresh, restorer.key, backup);
        expect(again.status).toBe(200);
        expect(again.body).toEqual({ stored: 0, skipped: 6 });
        expect(await exportText(fresh, restorer.key)).toBe(backup);
        expect(await countMessages(fresh)).toBe(6);
      } finally {
        await fresh.close();
      }
    });

    it('skips the lines of messages already yours, stores the others, counts both', async () => {
      const alice = await createUser(ctx());
      const existing = await seed(alice, 2);
      const flowId = existing[0].flow_id;
      const newLine = JSON.stringify(
        messageInput({ flow_id: flowId, id: randomUUID(), text: 'new' }),
      );
      const body = `${JSON.stringify(existing[0])}\n\r\n${newLine}\r\n\n${JSON.stringify(existing[1])}`;

      const response = await importBody(ctx(), alice.key, body);

      expect(response.status).toBe(200);
      expect(response.body).toEqual({ stored: 1, skipped: 2 });
      expect(await countMessages(ctx())).toBe(3);
    });

    it('counts a message given twice in one import once', async () => {
      const alice = await createUser(ctx());
      const line = JSON.stringify(messageInput({ id: randomUUID() }));

      const response = await importBody(ctx(), alice.key, `${line}\n${line}\n`);

      expect(response.body).toEqual({ stored: 1, skipped: 1 });
    });

    it.each([
      [
        'a missing field',
        (good: string) => `${good}\n${good.replace('"session_id"', '"sessionid"')}\n${good}`,
        { type: 'extra_forbidden', loc: ['body', 2, 'sessionid'] },
      ],
      [
        'a line that is not JSON',
        (good: string) => `${good}\n\n{"id": nope\n${good}`,
        { type: 'json_invalid', loc: ['body', 3] },
      ],
      [
        'a line that is not an object',
        (good: string) => `[1, 2]\n${good}`,
        { type: 'dict_type', loc: ['body', 1] },
      ],
      [
        'a malformed flow id',
        (good: string) => `${good}\n${good}\n${good.replace(/"flow_id":"[^"]+"/, '"flow_id":"x"')}`,
        { type: 'uuid_parsing', loc: ['body', 3, 'flow_id'] },
      ],
    ])('answers 422 naming the line for %s, and stores nothing', async (_name, make, issue) => {
      const alice = await createUser(ctx());
      const good = JSON.stringify(messageInput());

      const response = await importBody(ctx(), alice.key, make(good));

      expect(response.status).toBe(422);
      expect(response.body.detail).toEqual([expect.objectContaining(issue)]);
      expect(await countMessages(ctx())).toBe(0);
    });

    it("answers 409 for another user's message id and 404 for another user's flow, storing nothing", async () => {
      const alice = await createUser(ctx());
      const bob = await createUser(ctx());
      const [aliceMessage] = await seed(alice, 1);
      const bobLine = JSON.stringify(messageInput());

      const conflict = await importBody(
        ctx(),
        bob.key,
        `${bobLine}\n${JSON.stringify({ ...aliceMessage, flow_id: randomUUID() })}`,
      );
      expect(conflict.status).toBe(409);
      expect(conflict.body).toEqual({ detail: `Message already exists: ${aliceMessage.id}` });

      const foreignFlow = await importBody(
        ctx(),
        bob.key,
        `${bobLine}\n${JSON.stringify(messageInput({ flow_id: aliceMessage.flow_id }))}`,
      );
      expect(foreignFlow.status).toBe(404);
      expect(foreignFlow.body).toEqual({ detail: 'Flow not found' });
      expect(await countMessages(ctx())).toBe(1);
    });

    it('streams a body of thousands of lines in', async () => {
      const alice = await createUser(ctx());
      const flowId = randomUUID();
      const total = 2000;
      let sent = 0;
      const encoder = new TextEncoder();
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= total) {
            controller.close();
            return;
          }
          // Chunks that cut lines (and a multi-byte character) in the middle.
          const lines = Array.from({ length: 250 }, (_, i) =>
            JSON.stringify(
              messageInput({
                flow_id: flowId,
                text: `line ${sent + i} ✓`,
                timestamp: at(sent + i),
              }),
            ),
          ).join('\n');
          sent += 250;
          const bytes = encoder.encode(`${lines}\n`);
          const cut = bytes.lastIndexOf(0xe2) + 1;
          controller.enqueue(bytes.slice(0, cut));
          controller.enqueue(bytes.slice(cut));
        },
      });

      const response = await fetch(`${ctx().api.baseUrl}${IMPORT}`, {
        method: 'POST',
        headers: { 'x-api-key': alice.key, 'content-type': 'application/x-ndjson' },
        body: stream,
        duplex: 'half',
      });

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ stored: total, skipped: 0 });
      expect(await countMessages(ctx())).toBe(total);
    });

    it('takes an import larger than BODY_LIMIT_BYTES, which bounds each line, not the whole', async () => {
      const database = testDatabases().find((candidate) => candidate.name === ctx().database.name)!;
      const small = await startTestApp(database, { BODY_LIMIT_BYTES: '1024' });
      try {
        const alice = await createUser(small, 'alice');
        const flowId = randomUUID();
        const lines = Array.from({ length: 20 }, (_, i) =>
          JSON.stringify(messageInput({ flow_id: flowId, text: `line ${i}`, timestamp: at(i) })),
        ).join('\n');
        expect(Buffer.byteLength(lines)).toBeGreaterThan(1024);

        const imported = await importBody(small, alice.key, lines);
        expect(imported.status).toBe(200);
        expect(imported.body).toEqual({ stored: 20, skipped: 0 });
        expect(await countMessages(small)).toBe(20);

        const json = await small.api.post(MESSAGES, {
          key: alice.key,
          body: lines.split('\n').map((line) => JSON.parse(line)),
        });
        expect(json.status).toBe(413);
        expect(await countMessages(small)).toBe(20);
      } finally {
        await small.close();
      }
    });

    it('answers an empty body with nothing stored', async () => {
      const alice = await createUser(ctx());
      const response = await importBody(ctx(), alice.key, '');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ stored: 0, skipped: 0 });
    });

    it('answers 415 for a JSON body and 403 without a key, storing nothing', async () => {
      const alice = await createUser(ctx());
      const line = JSON.stringify(messageInput());

      const json = await importBody(ctx(), alice.key, line, 'application/json');
      expect(json.status).toBe(415);
      expect(json.body).toEqual({
        detail: 'Request body must be NDJSON (application/x-ndjson), one message a line',
      });
      const anonymous = await importBody(ctx(), undefined, line);
      expect(anonymous.status).toBe(403);
      expect(await countMessages(ctx())).toBe(0);
    });

    it.each([
      ['gzip', zlib.gzipSync],
      ['x-gzip', zlib.gzipSync],
      ['deflate', zlib.deflateSync],
      ['br', zlib.brotliCompressSync],
    ])('restores an export sent with Content-Encoding: %s, row for row', async (encoding, pack) => {
      const alice = await createUser(ctx());
      await seed(alice);
      const backup = await exportText(ctx(), alice.key);
      await ctx().reset();
      const restorer = await createUser(ctx());

      const response = await postImport(ctx().api.baseUrl, restorer.key, pack(backup), {
        'content-encoding': encoding,
      });

      expect(response).toEqual({ status: 200, body: { stored: 6, skipped: 0 } });
      expect(await exportText(ctx(), restorer.key)).toBe(backup);
    });

    it('answers 415 for a Content-Encoding it does not know, storing nothing', async () => {
      const alice = await createUser(ctx());

      const response = await postImport(
        ctx().api.baseUrl,
        alice.key,
        Buffer.from(messageLines(2)),
        { 'content-encoding': 'zstd' },
      );

      expect(response).toEqual({
        status: 415,
        body: {
          detail: UNSUPPORTED_CODING_DETAIL,
        },
      });
      expect(await countMessages(ctx())).toBe(0);
    });

    it('holds each line to JSON_MAX_DEPTH: 64 levels are stored, 65 are a 422 naming the line', async () => {
      const alice = await createUser(ctx());

      const deepest = await importBody(ctx(), alice.key, nestedLine(64));
      expect(deepest.status).toBe(200);
      expect(deepest.body).toEqual({ stored: 1, skipped: 0 });

      const tooDeep = await importBody(
        ctx(),
        alice.key,
        `${messageLines(2)}\n${nestedLine(65)}\n${messageLines(1)}`,
      );
      expect(tooDeep.status).toBe(422);
      expect(tooDeep.body).toEqual({
        detail: [
          {
            type: 'value_error',
            loc: ['body', 4],
            msg: 'Value error, JSON nested deeper than 64 levels',
            input: null,
          },
        ],
      });
      expect(await countMessages(ctx())).toBe(1);
    });

    it('holds each line to BODY_LIMIT_BYTES (decompressed): a line of the limit is stored, a byte more is a 422', async () => {
      const database = testDatabases().find((candidate) => candidate.name === ctx().database.name)!;
      const small = await startTestApp(database, { BODY_LIMIT_BYTES: '2048' });
      try {
        const alice = await createUser(small, 'alice');
        const flowId = randomUUID();
        const lineOf = (bytes: number) => {
          const bare = JSON.stringify(messageInput({ flow_id: flowId, text: '' }));
          const missing = bytes - Buffer.byteLength(bare);
          const text = 'é'.repeat(Math.floor(missing / 2)) + 'a'.repeat(missing % 2);
          return JSON.stringify(messageInput({ flow_id: flowId, text }));
        };
        expect(Buffer.byteLength(lineOf(2048))).toBe(2048);
        const over = `${lineOf(2048)}\r\n${lineOf(2048).replace('"User"', '"Userx"')}\n`;

        const refused = await postImport(small.api.baseUrl, alice.key, zlib.gzipSync(over), {
          'content-encoding': 'gzip',
        });
        expect(refused).toEqual({
          status: 422,
          body: {
            detail: [
              {
                type: 'value_error',
                loc: ['body', 2],
                msg: 'Value error, line longer than 2048 bytes',
                input: null,
              },
            ],
          },
        });
        expect(await countMessages(small)).toBe(0);

        const stored = await importBody(small, alice.key, `${lineOf(2048)}\r\n`);
        expect(stored.status).toBe(200);
        expect(stored.body).toEqual({ stored: 1, skipped: 0 });
      } finally {
        await small.close();
      }
    });

    it.each([
      ['not gzip at all', () => ({ bytes: Buffer.from(messageLines(3)), brokenLine: 1 })],
      ['a gzip cut short', () => truncatedGzip(messageLines(3000))],
    ])(
      'answers 422 naming the line for a body that is %s, storing nothing',
      async (_name, make) => {
        const alice = await createUser(ctx());
        const { bytes, brokenLine } = make();
        expect(brokenLine).toBeLessThan(3000);

        const response = await postImport(ctx().api.baseUrl, alice.key, bytes, {
          'content-encoding': 'gzip',
        });

        expect(response.status).toBe(422);
        expect(response.body.detail).toEqual([
          {
            type: 'value_error',
            loc: ['body', brokenLine],
            msg: expect.stringMatching(/^Value error, the body is not valid gzip data \(.+\)$/),
            input: null,
          },
        ]);
        expect(await countMessages(ctx())).toBe(0);
      },
    );

    it.each([
      ['a body that is not gzip', 'not gzip\n', { 'content-encoding': 'gzip' }, 'value_error'],
      ['a line nested too deep', `${nestedLine(65)}\n`, {}, 'value_error'],
      ['a line that is not a message', '{"text": 1}\n', {}, 'missing'],
    ])(
      'answers %s at once, without waiting for the rest of the upload',
      async (_name, first, headers: Record<string, string>, type) => {
        const alice = await createUser(ctx());
        const upload = new AbortController();
        // The first line, then an upload that never ends.
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(Buffer.from(first));
          },
        });

        const response = await postImport(
          ctx().api.baseUrl,
          alice.key,
          body,
          headers,
          upload.signal,
        );
        upload.abort();

        expect(response.status).toBe(422);
        expect(response.body.detail).toEqual([
          expect.objectContaining({ type, loc: expect.arrayContaining(['body', 1]) }),
        ]);
        expect(await countMessages(ctx())).toBe(0);
      },
      30_000,
    );
  },
  { pgbouncer: true },
);

// The bodies that once took the whole process down (a 500, then an uncaught error once the
// socket was gone): a real process, so that an exit shows, and a normal request after each.
const PROCESS_ADMIN_KEY = `sk-import-process-admin-${'i'.repeat(32)}`;

/** Waits (generously) until `condition` holds. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 50) {
    if (waited > 30_000) {
      throw new Error(`still not so after 30 s: ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The peak resident memory of a process, in MiB (Linux). */
function peakMemoryMib(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)![1]) / 1024;
}

for (const database of testDatabases()) {
  describe(`POST /api/v1/monitor/messages/import in a real process [${databaseTag(database)}]`, () => {
    jest.setTimeout(300_000);
    let service: ServiceProcess | undefined;
    const running = () => service!;
    // The process's own temporary folder, where an import spools its lines while it reads them.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-e2e-import-'));
    const importsReading = () =>
      fs.readdirSync(tmp).filter((name) => name.startsWith('monitor-import-'));

    beforeAll(async () => {
      service = await ServiceProcess.start({
        ...databaseEnv(database),
        MONITOR_SUPERUSER_API_KEY: PROCESS_ADMIN_KEY,
        LOG_LEVEL: 'warn',
        TMPDIR: tmp,
      });
    });

    afterAll(async () => {
      service?.kill();
      await service?.exited;
      await dropTestDatabase(database);
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    async function storedIn(flowId: string): Promise<number> {
      const response = await fetch(
        `${running().baseUrl}/api/v1/monitor/messages?flow_id=${flowId}`,
        { headers: { 'x-api-key': PROCESS_ADMIN_KEY } },
      );
      expect(response.status).toBe(200);
      return ((await response.json()) as unknown[]).length;
    }

    const plain = (bytes: Buffer, line: number) => ({ bytes, line, headers: {} });
    const gzipped = (bytes: Buffer, line: number) => ({
      bytes,
      line,
      headers: { 'content-encoding': 'gzip' },
    });

    it.each([
      [
        'a line nested 10,000 levels deep',
        (flowId: string) =>
          plain(Buffer.from(`${messageLines(2, flowId)}${nestedLine(10_000, flowId)}\n`), 3),
        'Value error, JSON nested deeper than 64 levels',
      ],
      [
        'a line over 10 MiB',
        (flowId: string) => {
          const text = 'x'.repeat(10 * 1024 * 1024);
          return plain(
            Buffer.from(`${JSON.stringify(messageInput({ flow_id: flowId, text }))}`),
            1,
          );
        },
        'Value error, line longer than 10 MiB',
      ],
      [
        'a body that is not gzip',
        (flowId: string) => gzipped(Buffer.from(messageLines(10, flowId)), 1),
        'Value error, the body is not valid gzip data (incorrect header check)',
      ],
      [
        'a gzip cut short',
        (flowId: string) => {
          const { bytes, brokenLine } = truncatedGzip(messageLines(3000, flowId));
          return gzipped(bytes, brokenLine);
        },
        'Value error, the body is not valid gzip data (unexpected end of file)',
      ],
      [
        'a gzip bomb (2 GiB of one line, from 2 MB)',
        () => gzipped(gzipBomb(2), 1),
        'Value error, line longer than 10 MiB',
      ],
    ])(
      'answers 422 for %s, stores nothing, and serves the next request',
      async (_name, make, msg) => {
        const flowId = randomUUID();
        const { bytes, line, headers } = make(flowId);

        const refused = await postImport(running().baseUrl, PROCESS_ADMIN_KEY, bytes, headers);

        expect(refused).toEqual({
          status: 422,
          body: { detail: [{ type: 'value_error', loc: ['body', line], msg, input: null }] },
        });
        const next = await postImport(
          running().baseUrl,
          PROCESS_ADMIN_KEY,
          zlib.gzipSync(messageLines(2, flowId)),
          { 'content-encoding': 'gzip' },
        );
        expect(next).toEqual({ status: 200, body: { stored: 2, skipped: 0 } });
        expect(await storedIn(flowId)).toBe(2);
        expect(running().running).toBe(true);
        // Far below the bomb's 2 GiB, which a reader without the line limit would hold.
        expect(peakMemoryMib(running().pid)).toBeLessThan(1024);
      },
    );

    it('lets go of a gzipped upload whose client goes away half-way, and serves on', async () => {
      const flowId = randomUUID();
      const bytes = zlib.gzipSync(messageLines(3000, flowId));
      const upload = new AbortController();
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.subarray(0, bytes.length / 2));
        },
      });
      const answer = postImport(
        running().baseUrl,
        PROCESS_ADMIN_KEY,
        body,
        { 'content-encoding': 'gzip' },
        upload.signal,
      ).catch((error: Error) => error.name);
      await until(() => importsReading().length > 0, 'the import has started');

      upload.abort();

      expect(await answer).toBe('AbortError');
      await until(() => importsReading().length === 0, 'the import has let go of the upload');
      expect(await storedIn(flowId)).toBe(0);
      const next = await postImport(
        running().baseUrl,
        PROCESS_ADMIN_KEY,
        Buffer.from(messageLines(2, flowId)),
      );
      expect(next).toEqual({ status: 200, body: { stored: 2, skipped: 0 } });
      expect(running().running).toBe(true);
    });
  });
}
