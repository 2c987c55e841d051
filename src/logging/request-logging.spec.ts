import express from 'express';
import { once } from 'node:events';
import { AddressInfo } from 'node:net';
import { Server } from 'node:http';
import pino from 'pino';
import { requestLogging } from './request-logging';
import { countResponseBytes } from './response-bytes';

/**
 * The middleware on a bare Express app over real HTTP, for what no route of the service does on
 * purpose: a body reader that stops early (Node then nulls `req.socket`, and Express's `req.ip`
 * throws), and a status changed after the answer went out.
 */
describe('requestLogging', () => {
  const lines: Record<string, unknown>[] = [];
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    const root = pino(
      { level: 'info' },
      { write: (line: string) => void lines.push(JSON.parse(line)) },
    );
    const app = express();
    app.use(countResponseBytes);
    app.use(requestLogging(root));
    app.post('/stops-reading', async (request, response) => {
      // Leaving a for-await loop destroys the stream it reads, and Node nulls req.socket.
      for await (const _chunk of request) {
        break;
      }
      response.status(422).json({ detail: 'stopped reading' });
    });
    app.get('/late-status', (_request, response) => {
      response.status(201).json({ ok: true });
      response.status(500);
    });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function lineFor(path: string): Promise<Record<string, unknown>> {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const line = lines.find((candidate) => candidate.url === path);
      if (line) {
        return line;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no line for ${path}: ${JSON.stringify(lines)}`);
  }

  it('logs a request whose body reader stopped early, with the client address', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.prependListener('uncaughtException', onUncaught);
    try {
      const response = await fetch(`${baseUrl}/stops-reading`, {
        method: 'POST',
        body: 'x'.repeat(64),
      });
      expect(response.status).toBe(422);
      expect(await lineFor('/stops-reading')).toMatchObject({
        level: 30,
        remoteAddress: '127.0.0.1',
        res: { statusCode: 422 },
        msg: expect.stringMatching(/^POST \/stops-reading 422 \d+ ms$/),
      });
      expect(uncaught).toEqual([]);
      expect((await fetch(`${baseUrl}/late-status`)).status).toBe(201);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
  });

  it('logs the status that was sent, not one set afterwards', async () => {
    const response = await fetch(`${baseUrl}/late-status`);
    expect(response.status).toBe(201);
    await response.text();
    expect(await lineFor('/late-status')).toMatchObject({
      level: 30,
      res: { statusCode: 201 },
      msg: expect.stringMatching(/^GET \/late-status 201 \d+ ms$/),
    });
  });
});
