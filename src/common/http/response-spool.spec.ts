import * as fs from 'node:fs';
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
});
