import { randomUUID } from 'node:crypto';
import { messageInput } from '../factories/messages';
import { createUser, TestUser } from '../factories/users';
import { testDatabases } from '../support/databases';
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

    it('takes an import larger than BODY_LIMIT_BYTES, which bounds JSON bodies only', async () => {
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
  },
  { pgbouncer: true },
);
