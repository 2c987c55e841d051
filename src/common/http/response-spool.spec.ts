import { ExpressAdapter } from '@nestjs/platform-express';
import express, { Response } from 'express';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { SPOOL_MEMORY_BYTES } from './read-ahead-body';
import { ResponseSpool } from './response-spool';

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The spool's descriptors that point at files in `directory` (unlinked ones included). */
function openFilesIn(directory: string): string[] {
  return fs
    .readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith(directory));
}

/** Serves one request with `send`, on a real Express server, and returns what the client got. */
async function served(
  send: (response: Response) => void,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; chunks: number }> {
  let writes = 0;
  const app = express();
  app.get('/', (_request, response) => {
    const write = response.write.bind(response) as (...args: unknown[]) => boolean;
    response.write = ((...args: unknown[]) => {
      writes += 1;
      return write(...args);
    }) as typeof response.write;
    try {
      send(response);
    } catch (error) {
      response.status(500).end(String(error));
    }
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/`);
    const body = await response.text();
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body,
      chunks: writes,
    };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

describe('ResponseSpool', () => {
  let directory: string;

  beforeEach(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-spec-'));
  });

  afterEach(() => {
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('answers an empty array when nothing was added', async () => {
    const spool = new ResponseSpool(directory);
    const file = spool.toStreamableFile();
    expect(await readAll(file.getStream())).toBe('[]');
    expect(file.getHeaders().length).toBe(2);
  });

  it('keeps a small answer in memory, never touching the disk', async () => {
    const spool = new ResponseSpool(directory);
    spool.add('{"a":1}');
    spool.add('"é"');
    expect(openFilesIn(directory)).toEqual([]);
    const file = spool.toStreamableFile();
    expect(await readAll(file.getStream())).toBe('[{"a":1},"é"]');
    expect(file.getHeaders().length).toBe(Buffer.byteLength('[{"a":1},"é"]'));
  });

  it('overflows a large answer to an unlinked file, sends it whole, and closes the file after', async () => {
    const spool = new ResponseSpool(directory);
    const item = JSON.stringify('ü'.repeat(1000));
    const count = Math.ceil((3 * SPOOL_MEMORY_BYTES) / item.length);
    for (let index = 0; index < count; index += 1) {
      spool.add(item);
    }
    expect(spool.count).toBe(count);
    // Nothing in the directory, yet a file is open: it was unlinked when created.
    expect(fs.readdirSync(directory)).toEqual([]);
    expect(openFilesIn(directory)).toHaveLength(1);
    const stream = spool.toStreamableFile().getStream();
    const text = await readAll(stream);
    expect(text).toBe(`[${Array.from({ length: count }, () => item).join(',')}]`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(openFilesIn(directory)).toEqual([]);
  });

  it('closes the file when the answer is abandoned half-way or discarded', async () => {
    const item = JSON.stringify('x'.repeat(10_000));
    const abandoned = new ResponseSpool(directory);
    for (let index = 0; index < 500; index += 1) {
      abandoned.add(item);
    }
    const stream = abandoned.toStreamableFile().getStream();
    await new Promise((resolve) => stream.once('readable', resolve));
    stream.destroy();
    await new Promise((resolve) => stream.once('close', resolve));

    const discarded = new ResponseSpool(directory);
    for (let index = 0; index < 500; index += 1) {
      discarded.add(item);
    }
    discarded.discard();
    expect(openFilesIn(directory)).toEqual([]);
  });

  it('starts again from nothing after clear(), as a retried transaction does', async () => {
    const spool = new ResponseSpool(directory);
    for (let index = 0; index < 300; index += 1) {
      spool.add(JSON.stringify('y'.repeat(10_000)));
    }
    spool.clear();
    spool.add('1');
    expect(spool.count).toBe(1);
    expect(await readAll(spool.toStreamableFile().getStream())).toBe('[1]');
    expect(openFilesIn(directory)).toEqual([]);
  });

  it('sends a small answer as one string with its length, and a large one as a stream', async () => {
    const adapter = new ExpressAdapter();
    const small = new ResponseSpool(directory);
    small.add('{"a":1}');
    small.add('"é"');
    const smallAnswer = await served((response) => small.reply(adapter, response));
    expect(smallAnswer).toMatchObject({ status: 200, body: '[{"a":1},"é"]', chunks: 0 });
    expect(smallAnswer.headers['content-type']).toBe('application/json');
    expect(smallAnswer.headers['content-length']).toBe(String(Buffer.byteLength('[{"a":1},"é"]')));

    const large = new ResponseSpool(directory);
    const item = JSON.stringify('z'.repeat(1000));
    for (let index = 0; index < 200; index += 1) {
      large.add(item);
    }
    const largeAnswer = await served((response) => large.reply(adapter, response));
    expect(largeAnswer.status).toBe(200);
    expect(largeAnswer.body).toBe(`[${Array.from({ length: 200 }, () => item).join(',')}]`);
    expect(largeAnswer.chunks).toBeGreaterThan(1);
    expect(largeAnswer.headers['content-type']).toBe('application/json');
    expect(largeAnswer.headers['content-length']).toBe(String(Buffer.byteLength(largeAnswer.body)));
  });
});
