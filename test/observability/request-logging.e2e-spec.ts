import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { messageInput } from '../factories/messages';
import { abandonRequest } from '../support/abandoned-request';
import { LogLine, ServiceProcess } from '../support/process-service';
import { StalledClient } from '../support/stalled-client';

// One real service process (its stdout is a pipe, so it logs JSON), at LOG_LEVEL=trace so that
// the SQL lines show which request they belong to. What the log says does not depend on the
// database, so SQLite alone is enough.
jest.setTimeout(180_000);

const KEY = `sk-request-logging-key-${'q'.repeat(24)}`;
const ROUTE_NOISE = ['RouterExplorer', 'RoutesResolver', 'InstanceLoader', 'NestFactory'];

describe('request logs of the service process', () => {
  const folder = path.join(os.tmpdir(), 'monitor-e2e', `logging-${randomUUID()}`);
  let service: ServiceProcess;

  beforeAll(async () => {
    service = await ServiceProcess.start({
      DATABASE_URL: `sqlite:${path.join(folder, 'monitor.db')}`,
      MONITOR_SUPERUSER_API_KEY: KEY,
      LOG_LEVEL: 'trace',
    });
  });
  afterAll(async () => {
    if (service?.running) {
      await service.stop('SIGTERM');
    }
    fs.rmSync(folder, { recursive: true, force: true });
  });

  /** The request's closing line, waited for: it is written when the response has ended. */
  async function requestLine(reqId: string): Promise<LogLine> {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const line = service
        .logLines()
        .find((candidate) => candidate.reqId === reqId && candidate.res !== undefined);
      if (line) {
        return line;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no request line for ${reqId}:\n${service.stdout}`);
  }

  it('writes only JSON lines, with ISO-8601 UTC times and level names', () => {
    const lines = service.stdout.split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) {
      const parsed = JSON.parse(line) as LogLine;
      expect(parsed.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).toContain(parsed.level);
    }
  });

  it("keeps Nest's route-mapping and module lines out of info", () => {
    const startUp = service.logLines().filter((line) => ROUTE_NOISE.includes(line.context ?? ''));
    expect(startUp.length).toBeGreaterThan(0);
    expect(startUp.filter((line) => line.level !== 'debug')).toEqual([]);
    expect(service.logLines().some((line) => line.msg.startsWith('Listening on'))).toBe(true);
  });

  it('logs a request once at its end: method, route template, status, duration, bytes, user, request id', async () => {
    const flowId = randomUUID();
    const stored = await fetch(`${service.baseUrl}/api/v1/monitor/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify([messageInput({ flow_id: flowId, session_id: 'chat 7' })]),
    });
    expect(stored.status).toBe(201);

    const response = await fetch(
      `${service.baseUrl}/api/v1/monitor/messages/session/chat%207?new_session_id=chat-8`,
      { method: 'PATCH', headers: { 'x-api-key': KEY, 'x-request-id': 'rename-42.a:b_c' } },
    );
    const body = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('rename-42.a:b_c');
    const line = await requestLine('rename-42.a:b_c');
    expect(line).toMatchObject({
      level: 'info',
      method: 'PATCH',
      route: '/api/v1/monitor/messages/session/{old_session_id}',
      url: '/api/v1/monitor/messages/session/chat%207?new_session_id=chat-8',
      res: { statusCode: 200 },
      bytes: Buffer.byteLength(body),
      userId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      msg: expect.stringMatching(
        /^PATCH \/api\/v1\/monitor\/messages\/session\/\{old_session_id\} 200 \d+ ms$/,
      ),
    });
    expect(typeof line.responseTime).toBe('number');
    const lines = service.logLines().filter((candidate) => candidate.reqId === 'rename-42.a:b_c');
    // Once: the closing line; every other line of that request (its SQL here) carries its id.
    expect(lines.filter((candidate) => candidate.res !== undefined)).toHaveLength(1);
    expect(lines.filter((candidate) => candidate.context === 'SQL').length).toBeGreaterThan(0);
  });

  it('makes up an id when X-Request-Id is missing, too long or unsafe, and echoes it', async () => {
    for (const given of [undefined, 'x'.repeat(129), 'two words', 'line\tbreak', '<script>']) {
      const response = await fetch(`${service.baseUrl}/health`, {
        headers: given === undefined ? {} : { 'x-request-id': given },
      });
      expect(response.status).toBe(200);
      const id = response.headers.get('x-request-id') ?? '';
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(await requestLine(id)).toMatchObject({ route: '/health', userId: null });
    }
    expect(service.stdout).not.toContain('<script>');
  });

  it('never logs an API key: not from the header, the query or a Bearer token', async () => {
    const ids = ['key-header', 'key-query', 'key-bearer'];
    await fetch(`${service.baseUrl}/api/v1/api_key/`, {
      headers: { 'x-api-key': KEY, 'x-request-id': ids[0] },
    });
    await fetch(`${service.baseUrl}/api/v1/api_key/?x%2Dapi%2Dkey=${KEY}`, {
      headers: { 'x-request-id': ids[1] },
    });
    await fetch(`${service.baseUrl}/api/v1/api_key/`, {
      headers: { authorization: `Bearer ${KEY}`, 'x-request-id': ids[2] },
    });

    for (const id of ids) {
      expect(await requestLine(id)).toMatchObject({ res: { statusCode: 200 } });
    }
    expect((await requestLine('key-query')).url).toBe('/api/v1/api_key/?x%2Dapi%2Dkey=[REDACTED]');
    expect(service.stdout + service.stderr).not.toContain(KEY.slice(3));
  });

  it('never logs a key a client put anywhere else: other spellings, the path, percent-encoded', async () => {
    const secret = KEY.slice(3);
    const encodedDash = `sk%2D${secret}`;
    const everyCharEncoded = [...KEY]
      .map((char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
      .join('');
    const placements: [string, string, string][] = [
      // [request id, path sent, URL as logged]
      [
        'key-brackets',
        `/api/v1/api_key/?x-api-key[]=${KEY}`,
        '/api/v1/api_key/?x-api-key[]=[REDACTED]',
      ],
      [
        'key-spelling',
        `/api/v1/api_key/?X_API_KEY=${KEY}&b=1`,
        '/api/v1/api_key/?X_API_KEY=[REDACTED]&b=1',
      ],
      [
        'key-other-name',
        `/api/v1/api_key/?token=${KEY}&b=chat%207`,
        '/api/v1/api_key/?token=[REDACTED]&b=chat%207',
      ],
      ['key-path', `/api/v1/monitor/messages/${KEY}`, '/api/v1/monitor/messages/[REDACTED]'],
      ['key-unknown-path', `/${KEY}/x`, '/[REDACTED]/x'],
      [
        'key-encoded-dash',
        `/api/v1/api_key/?token=${encodedDash}`,
        '/api/v1/api_key/?token=[REDACTED]',
      ],
      [
        'key-encoded-path',
        `/api/v1/monitor/messages/${everyCharEncoded}`,
        '/api/v1/monitor/messages/[REDACTED]',
      ],
      [
        'key-encoded-twice',
        `/api/v1/monitor/messages/session/chat%207?new_session_id=${encodeURIComponent(everyCharEncoded)}`,
        '/api/v1/monitor/messages/session/chat%207?new_session_id=[REDACTED]',
      ],
    ];
    for (const [id, path] of placements) {
      const response = await fetch(`${service.baseUrl}${path}`, {
        method: id === 'key-encoded-twice' ? 'PATCH' : 'GET',
        headers: { 'x-request-id': id },
      });
      await response.text();
    }

    for (const [id, , logged] of placements) {
      const line = await requestLine(id);
      // The rest of the URL is kept: only the key is gone.
      expect(line.url).toBe(logged);
      expect(line.msg).not.toContain(secret.slice(0, 12));
    }
    expect((await requestLine('key-unknown-path')).msg).toMatch(
      /^GET \/\[REDACTED\]\/x 404 \d+ ms$/,
    );
    // Nor in any line, however encoded: every line decoded twice still holds no key.
    const decodedTwice = service.stdout
      .replace(/%25/gi, '%')
      .replace(/%([0-9a-f]{2})/gi, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    expect(decodedTwice).not.toContain(secret);
    expect(service.stderr).not.toContain(secret);
  });

  it('logs unknown paths and wrong methods too, under their raw path, with no route', async () => {
    const response = await fetch(`${service.baseUrl}/no/such/path`, {
      headers: { 'x-request-id': 'unknown-path' },
    });
    expect(response.status).toBe(404);
    expect(await requestLine('unknown-path')).toMatchObject({
      route: null,
      url: '/no/such/path',
      res: { statusCode: 404 },
    });
  });

  it('logs a request whose client gave up before the answer as no answer, never as 200', async () => {
    await abandonRequest(service.baseUrl, 'POST', '/api/v1/monitor/messages', {
      'x-api-key': KEY,
      'x-request-id': 'gave-up',
    });

    const line = await requestLine('gave-up');
    expect(line).toMatchObject({
      level: 'warn',
      method: 'POST',
      url: '/api/v1/monitor/messages',
      res: { statusCode: null },
      bytes: 0,
      remoteAddress: expect.stringContaining('127.0.0.1'),
      msg: expect.stringMatching(
        /^POST \/api\/v1\/monitor\/messages no answer \(connection closed\) \d+ ms$/,
      ),
    });
    expect((await fetch(`${service.baseUrl}/health`)).status).toBe(200);
  });

  it('logs an answer cut half-way with the status sent and says it was cut', async () => {
    const flowId = randomUUID();
    // Enough to overflow the socket buffers between the service and a client that stops reading.
    for (let batch = 0; batch < 6; batch += 1) {
      const stored = await fetch(`${service.baseUrl}/api/v1/monitor/messages`, {
        method: 'POST',
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        body: JSON.stringify(
          Array.from({ length: 1000 }, (_, index) =>
            messageInput({ flow_id: flowId, session_id: 'big', text: `message ${batch}-${index}` }),
          ),
        ),
      });
      expect(stored.status).toBe(201);
    }
    const reader = await StalledClient.open(
      service.baseUrl,
      'GET',
      `/api/v1/monitor/messages/export?flow_id=${flowId}`,
      { 'x-api-key': KEY, 'x-request-id': 'cut-export' },
    );
    expect(reader.status).toBe(200);
    reader.destroy();

    const line = await requestLine('cut-export');
    expect(line).toMatchObject({
      level: 'warn',
      route: '/api/v1/monitor/messages/export',
      res: { statusCode: 200 },
      cut: true,
      msg: expect.stringMatching(/^GET \/api\/v1\/monitor\/messages\/export 200 cut short \d+ ms$/),
    });
    expect((await fetch(`${service.baseUrl}/health`)).status).toBe(200);
  });

  it('survives a request whose body the service stopped reading, and logs the status it sent', async () => {
    // A line longer than the import reads: the import stops reading the body, and Node then
    // drops the request's socket, which once crashed the process in the request log.
    const response = await fetch(`${service.baseUrl}/api/v1/monitor/messages/import`, {
      method: 'POST',
      headers: {
        'x-api-key': KEY,
        'content-type': 'application/x-ndjson',
        'x-request-id': 'long-line',
      },
      body: 'x'.repeat(11 * 1024 * 1024),
    }).catch(() => undefined);
    await response?.text().catch(() => undefined);

    const line = await requestLine('long-line');
    if (response) {
      expect(line.res).toEqual({ statusCode: response.status });
    }
    expect(line.remoteAddress).toEqual(expect.stringContaining('127.0.0.1'));
    expect((await fetch(`${service.baseUrl}/health`)).status).toBe(200);
    expect(service.running).toBe(true);
    expect(service.stderr).not.toContain('TypeError');
  });
});
