import { Readable } from 'node:stream';
import { LineTooLongError } from './errors/line-too-long.error';
import { NdjsonReader } from './ndjson-reader';

function chunks(...parts: (string | Buffer)[]): Readable {
  return Readable.from(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part)));
}

async function read(reader: NdjsonReader, source: AsyncIterable<Buffer>) {
  const lines: [number, string][] = [];
  for await (const line of reader.lines(source)) {
    lines.push([line.number, line.bytes.toString('utf8')]);
  }
  return lines;
}

describe('NdjsonReader', () => {
  it('numbers every line, skips the blank ones, and takes \\n and \\r\\n', async () => {
    const lines = await read(new NdjsonReader(100), chunks('{"a":1}\r\n\n  \t\r\n[2]\n', '"x"'));
    expect(lines).toEqual([
      [1, '{"a":1}'],
      [4, '[2]'],
      [5, '"x"'],
    ]);
  });

  it('joins a line and a multi-byte character cut across chunks', async () => {
    const bytes = Buffer.from('"ünï 🚀"\n"b"', 'utf8');
    const cuts = [1, 2, 3, 6, 7, 8, 9, bytes.length];
    const parts = cuts.map((end, index) => bytes.subarray(index === 0 ? 0 : cuts[index - 1], end));
    expect(await read(new NdjsonReader(100), chunks(...parts))).toEqual([
      [1, '"ünï 🚀"'],
      [2, '"b"'],
    ]);
  });

  it('takes a line of exactly the limit in bytes, its \\r aside, and refuses one byte more', async () => {
    const limit = 10;
    const fits = '"🚀1234"'; // 10 bytes, 7 characters
    expect(await read(new NdjsonReader(limit), chunks(`${fits}\r`, '\n', fits))).toEqual([
      [1, fits],
      [2, fits],
    ]);
    await expect(read(new NdjsonReader(limit), chunks(`${fits}\n"123456789"\n`))).rejects.toEqual(
      new LineTooLongError(2),
    );
    await expect(read(new NdjsonReader(limit), chunks(`[1]\n\n${fits}`, ' '))).rejects.toEqual(
      new LineTooLongError(3),
    );
  });

  it('reports a line over the limit as soon as it is, without waiting for its end', async () => {
    let chunksRead = 0;
    function* endless(): Generator<Buffer> {
      yield Buffer.from('{}\n');
      for (;;) {
        chunksRead += 1;
        yield Buffer.alloc(1024, 0x61);
      }
    }
    const error = await read(new NdjsonReader(64 * 1024), Readable.from(endless())).catch(
      (e: unknown) => e,
    );
    expect(error).toEqual(new LineTooLongError(2));
    // 64 KiB and one byte more than the limit, plus what the stream may have read ahead.
    expect(chunksRead).toBeGreaterThanOrEqual(65);
    expect(chunksRead).toBeLessThanOrEqual(65 + 16);
  });

  it('tells the number of the line being read when the stream breaks off', async () => {
    const reader = new NdjsonReader(100);
    function* broken(): Generator<Buffer> {
      yield Buffer.from('[1]\n\n[2]\n[3');
      throw new Error('cut');
    }
    await expect(read(reader, Readable.from(broken()))).rejects.toThrow('cut');
    expect(reader.lineNumber).toBe(4);
  });
});
