import * as net from 'node:net';
import { messageInput } from '../factories/messages';
import { testDatabases } from '../support/databases';
import { ADMIN_KEY, startTestApp, TestApp } from '../support/test-app';
import { urllibRequest, writeWholeThenRead } from '../support/whole-body-clients';

/*
 * The HTTP server's limits are the same whatever the database, so this suite runs on SQLite only,
 * with short timeouts so that it can watch them act.
 */

const LIMITS = {
  BODY_LIMIT_BYTES: '4096',
  HEADERS_TIMEOUT: '1',
  REQUEST_TIMEOUT: '2',
  IDLE_TIMEOUT: '1',
  KEEP_ALIVE_TIMEOUT: '4',
  MAX_CONNECTIONS: '20',
};

/** What a raw connection saw: everything the server sent, and whether and when it closed. */
interface Seen {
  text: string;
  closed: boolean;
  elapsedMs: number;
}

/** Opens a raw connection, lets `drive` write to it, and waits until it closes or `waitMs`. */
function converse(
  port: number,
  drive: (socket: net.Socket) => void,
  waitMs: number,
): Promise<Seen> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
    socket.on('connect', () => drive(socket));
  });
}

/** Writes `text` every 300 ms until the connection closes: a slow but never silent client. */
function drip(socket: net.Socket, text: string): void {
  const timer = setInterval(() => {
    if (!socket.destroyed) {
      socket.write(text);
    }
  }, 300);
  socket.once('close', () => clearInterval(timer));
}

function head(lines: string[]): string {
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const MESSAGES = '/api/v1/monitor/messages';
const IMPORT = '/api/v1/monitor/messages/import';
const UNSUPPORTED_ENCODING =
  'Unsupported Content-Encoding: send the body as it is, or compressed once with gzip, deflate or br';

/** Answers given before the body is read: the request's path, headers, status and detail. */
const EARLY_ANSWERS: [string, string, Record<string, string>, number, string][] = [
  [
    '413 for a declared length over the limit',
    MESSAGES,
    { 'Content-Type': 'application/json', 'x-api-key': ADMIN_KEY },
    413,
    'Request body too large: the limit is 4096 bytes',
  ],
  [
    '403 for a streamed import without a key',
    IMPORT,
    { 'Content-Type': 'application/x-ndjson' },
    403,
    'An API key must be passed as query or header',
  ],
  [
    '415 for an unknown Content-Encoding',
    MESSAGES,
    { 'Content-Type': 'application/json', 'Content-Encoding': 'zstd', 'x-api-key': ADMIN_KEY },
    415,
    UNSUPPORTED_ENCODING,
  ],
];

describe('HTTP server limits [sqlite]', () => {
  let testApp: TestApp;
  let port: number;

  beforeAll(async () => {
    testApp = await startTestApp(testDatabases()[0], LIMITS);
    port = (testApp.app.getHttpServer().address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('refuses a body whose Content-Length is over the limit at once, before reading it', async () => {
    const seen = await converse(
      port,
      (socket) =>
        socket.write(
          head([
            'POST /api/v1/monitor/messages HTTP/1.1',
            'Host: localhost',
            'Content-Type: application/json',
            'Content-Length: 99999999999',
            `x-api-key: ${ADMIN_KEY}`,
          ]) + '[',
        ),
      10_000,
    );
    expect(seen.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(seen.text).toContain('{"detail":"Request body too large: the limit is 4096 bytes"}');
    expect(seen.text.toLowerCase()).toContain('connection: close');
    expect(seen.closed).toBe(true);
  });

  it('cuts a chunked body with 413 as soon as it passes the limit, though it never ends', async () => {
    const seen = await converse(
      port,
      (socket) => {
        socket.write(
          head([
            'POST /api/v1/monitor/messages HTTP/1.1',
            'Host: localhost',
            'Content-Type: application/json',
            'Transfer-Encoding: chunked',
            `x-api-key: ${ADMIN_KEY}`,
          ]),
        );
        const chunk = '"' + 'x'.repeat(5000);
        socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      },
      10_000,
    );
    expect(seen.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(seen.closed).toBe(true);
  });

  it('a body within the limit is still read and judged', async () => {
    const body = JSON.stringify([messageInput()]);
    const response = await testApp.api.post('/api/v1/monitor/messages', {
      key: ADMIN_KEY,
      rawBody: body,
    });
    expect(response.status).toBe(201);
    const over = await testApp.api.post('/api/v1/monitor/messages', {
      key: ADMIN_KEY,
      body: [messageInput({ text: 'x'.repeat(5000) })],
    });
    expect(over.status).toBe(413);
  });

  describe('an answer sent before the body is read reaches a client that writes it all first', () => {
    // Far more than the socket buffers hold, so that the answer comes while the body is sent.
    const size = 8 * 1024 * 1024;

    it.each(EARLY_ANSWERS)(
      '%s, to Python urllib',
      async (_label, path, headers, status, detail) => {
        const result = await urllibRequest({
          url: `http://127.0.0.1:${port}${path}`,
          method: 'POST',
          headers,
          fill: ' ',
          size,
        });
        expect(result).toEqual({ status, body: JSON.stringify({ detail }) });
      },
    );

    it.each(EARLY_ANSWERS)(
      '%s, to a Node socket that writes it all before reading',
      async (_label, path, headers, status, detail) => {
        const lines = [`POST ${path} HTTP/1.1`, 'Host: localhost', 'Connection: close'];
        lines.push(`Content-Length: ${size}`);
        lines.push(...Object.entries(headers).map(([name, value]) => `${name}: ${value}`));
        const result = await writeWholeThenRead(port, head(lines), Buffer.alloc(size, 0x20));
        expect(result).toEqual({ status, body: JSON.stringify({ detail }) });
      },
    );
  });

  it('Expect: 100-continue: 100 Continue only for a request that will be read; a refused one gets its final status at once', async () => {
    const body = JSON.stringify([messageInput({ text: 'after continue' })]);
    const accepted = await converse(
      port,
      (socket) => {
        socket.write(
          head([
            `POST ${MESSAGES} HTTP/1.1`,
            'Host: localhost',
            'Expect: 100-continue',
            'Content-Type: application/json',
            `Content-Length: ${Buffer.byteLength(body)}`,
            `x-api-key: ${ADMIN_KEY}`,
            'Connection: close',
          ]),
        );
        socket.once('data', (chunk: Buffer) => {
          if (chunk.toString('latin1').startsWith('HTTP/1.1 100 Continue')) {
            socket.write(body);
          }
        });
      },
      5000,
    );
    expect(accepted.text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 /);
    expect(accepted.text).toContain('after continue');

    const refused: [string[], number][] = [
      [['Content-Type: application/json', 'Content-Length: 99999', `x-api-key: ${ADMIN_KEY}`], 413],
      [['Content-Type: application/json', 'Content-Length: 2'], 403],
      [['Content-Type: application/x-ndjson', 'Content-Length: 1000'], 403],
      [
        [
          'Content-Type: application/json; charset=latin1',
          'Content-Length: 2',
          `x-api-key: ${ADMIN_KEY}`,
        ],
        415,
      ],
      [
        [
          'Content-Type: application/json',
          'Content-Encoding: zstd',
          'Content-Length: 2',
          `x-api-key: ${ADMIN_KEY}`,
        ],
        415,
      ],
    ];
    for (const [headers, status] of refused) {
      const path = headers.some((line) => line.includes('ndjson')) ? IMPORT : MESSAGES;
      const seen = await converse(
        port,
        (socket) => {
          socket.write(
            head([`POST ${path} HTTP/1.1`, 'Host: localhost', 'Expect: 100-continue', ...headers]),
          );
          // A client that gets 100 Continue sends its body; one that gets no answer waits.
          socket.once('data', (chunk: Buffer) => {
            if (chunk.toString('latin1').startsWith('HTTP/1.1 100')) {
              socket.write(' '.repeat(Number(/Content-Length: (\d+)/.exec(headers.join())![1])));
            }
          });
        },
        5000,
      );
      expect({ headers, first: seen.text.split('\r\n')[0] }).toEqual({
        headers,
        first: expect.stringMatching(new RegExp(`^HTTP/1\\.1 ${status} `)),
      });
      expect(seen.text).not.toContain('100 Continue');
      expect(seen.text.toLowerCase()).toContain('connection: close');
      expect(seen.closed).toBe(true);
    }
  });

  it('drops a connection that never sends anything', async () => {
    const seen = await converse(port, () => undefined, 10_000);
    expect(seen.closed).toBe(true);
    expect(seen.elapsedMs).toBeLessThan(5000);
  });

  it('drops a client that trickles its headers, past the header timeout', async () => {
    const seen = await converse(
      port,
      (socket) => {
        socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n');
        drip(socket, 'X-Slow: a\r\n');
      },
      10_000,
    );
    expect(seen.closed).toBe(true);
    expect(seen.elapsedMs).toBeLessThan(6000);
    expect(seen.text).not.toContain('200 OK');
  });

  it('drops a client that trickles its body, past the request timeout', async () => {
    const seen = await converse(
      port,
      (socket) => {
        socket.write(
          head([
            'POST /api/v1/monitor/messages HTTP/1.1',
            'Host: localhost',
            'Content-Type: application/json',
            'Content-Length: 4000',
            `x-api-key: ${ADMIN_KEY}`,
          ]),
        );
        drip(socket, ' ');
      },
      10_000,
    );
    expect(seen.closed).toBe(true);
    expect(seen.elapsedMs).toBeLessThan(7000);
    expect(seen.text).not.toMatch(/^HTTP\/1\.1 201/);
  });

  it('drops a client that stops half-way through its body, after the idle timeout', async () => {
    const seen = await converse(
      port,
      (socket) =>
        socket.write(
          head([
            'POST /api/v1/monitor/messages HTTP/1.1',
            'Host: localhost',
            'Content-Type: application/json',
            'Content-Length: 100',
            `x-api-key: ${ADMIN_KEY}`,
          ]) + '[{"text":',
        ),
      10_000,
    );
    expect(seen.closed).toBe(true);
    expect(seen.elapsedMs).toBeLessThan(6000);
  });

  it('keeps an idle keep-alive connection open longer than the header timeout, and reuses it', async () => {
    const request = head(['GET /health HTTP/1.1', 'Host: localhost']);
    const seen = await converse(
      port,
      (socket) => {
        socket.write(request);
        // Well past HEADERS_TIMEOUT and IDLE_TIMEOUT, within KEEP_ALIVE_TIMEOUT.
        setTimeout(() => socket.write(request), 2500);
      },
      4000,
    );
    expect(seen.text.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
    expect(seen.text).toContain('Keep-Alive: timeout=4');
    expect(seen.closed).toBe(false);
  });

  it('closes connections past MAX_CONNECTIONS at once, and serves again once they are gone', async () => {
    const open: net.Socket[] = [];
    try {
      for (let index = 0; index < 20; index += 1) {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        await new Promise((resolve) => socket.once('connect', resolve));
        open.push(socket);
      }
      // Let the server count them all.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const refused = await converse(
        port,
        (socket) => socket.write(head(['GET /health HTTP/1.1', 'Host: localhost'])),
        3000,
      );
      expect(refused.closed).toBe(true);
      expect(refused.text).toBe('');
    } finally {
      open.forEach((socket) => socket.destroy());
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await testApp.api.get('/health')).status).toBe(200);
  });

  describe('the drain after an early answer is bounded', () => {
    let drainApp: TestApp;
    let drainPort: number;

    beforeAll(async () => {
      // Long request and idle timeouts, so that only the drain's own bounds can cut.
      drainApp = await startTestApp(testDatabases()[0], {
        DRAIN_LIMIT_BYTES: String(1024 * 1024),
        DRAIN_TIMEOUT: '1',
        REQUEST_TIMEOUT: '60',
        IDLE_TIMEOUT: '30',
      });
      drainPort = (drainApp.app.getHttpServer().address() as net.AddressInfo).port;
    });

    afterAll(async () => {
      await drainApp.close();
    });

    it('cuts a client that keeps sending past DRAIN_LIMIT_BYTES', async () => {
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const framed = Buffer.concat([Buffer.from('10000\r\n'), chunk, Buffer.from('\r\n')]);
      let written = 0;
      const seen = await converse(
        drainPort,
        (socket) => {
          socket.write(
            head([
              `POST ${IMPORT} HTTP/1.1`,
              'Host: localhost',
              'Content-Type: application/x-ndjson',
              'Transfer-Encoding: chunked',
            ]),
          );
          const pump = () => {
            while (!socket.destroyed && written < 1024 * 1024 * 1024) {
              written += chunk.length;
              if (!socket.write(framed)) {
                socket.once('drain', pump);
                return;
              }
            }
          };
          pump();
        },
        10_000,
      );
      expect(seen.text).toMatch(/^HTTP\/1\.1 403 /);
      expect(seen.closed).toBe(true);
      // The limit, plus what the socket buffers on both sides held.
      expect(written).toBeLessThan(64 * 1024 * 1024);
    });

    it('cuts a client that still sends DRAIN_TIMEOUT after the answer', async () => {
      const seen = await converse(
        drainPort,
        (socket) => {
          socket.write(
            head([
              `POST ${IMPORT} HTTP/1.1`,
              'Host: localhost',
              'Content-Type: application/x-ndjson',
              'Content-Length: 100000',
            ]),
          );
          drip(socket, 'x');
        },
        10_000,
      );
      expect(seen.text).toMatch(/^HTTP\/1\.1 403 /);
      expect(seen.closed).toBe(true);
      expect(seen.elapsedMs).toBeLessThan(8000);
    });
  });
});
