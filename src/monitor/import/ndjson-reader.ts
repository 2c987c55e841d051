import { LineTooLongError } from './errors/line-too-long.error';

/** One line of an NDJSON stream, numbered from 1, as its UTF-8 bytes. */
export interface NumberedLine {
  number: number;
  bytes: Buffer;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const NOTHING = Buffer.alloc(0);

/**
 * Splits a byte stream into its non-blank NDJSON lines as they arrive. Memory holds one line at
 * most, never more than `maxLineBytes` and a chunk whatever the stream's size: a longer line is
 * reported (LineTooLongError) as soon as it is known, not read on. Lines stay bytes, so that the
 * depth scan reads them before anything decodes them; `\n` and `\r\n` both end a line, and a
 * character split across chunks is joined with the rest of its line.
 */
export class NdjsonReader {
  private ended = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** The number of the line being read: where a stream that breaks off broke. */
  get lineNumber(): number {
    return this.ended + 1;
  }

  async *lines(source: AsyncIterable<Buffer>): AsyncGenerator<NumberedLine> {
    let parts: Buffer[] = [];
    let partBytes = 0;
    for await (const chunk of source) {
      let start = 0;
      let end = chunk.indexOf(NEWLINE);
      while (end >= 0) {
        const line = this.end(parts, partBytes, chunk.subarray(start, end));
        parts = [];
        partBytes = 0;
        if (line) {
          yield line;
        }
        start = end + 1;
        end = chunk.indexOf(NEWLINE, start);
      }
      if (start < chunk.length) {
        parts.push(chunk.subarray(start));
        partBytes += chunk.length - start;
        // One byte of slack: the line's `\r` may be here and its `\n` in the next chunk.
        if (partBytes > this.maxLineBytes + 1) {
          throw new LineTooLongError(this.lineNumber);
        }
      }
    }
    if (partBytes > 0) {
      const line = this.end(parts, partBytes, NOTHING);
      if (line) {
        yield line;
      }
    }
  }

  private end(parts: Buffer[], partBytes: number, tail: Buffer): NumberedLine | undefined {
    this.ended += 1;
    let bytes =
      parts.length === 0 ? tail : Buffer.concat([...parts, tail], partBytes + tail.length);
    if (bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN) {
      bytes = bytes.subarray(0, -1);
    }
    if (bytes.length > this.maxLineBytes) {
      throw new LineTooLongError(this.ended);
    }
    return isBlank(bytes) ? undefined : { number: this.ended, bytes };
  }
}

/** Only JSON's whitespace (a blank line is skipped, as NDJSON readers do). */
function isBlank(bytes: Buffer): boolean {
  return bytes.every((byte) => byte === 0x20 || byte === 0x09 || byte === CARRIAGE_RETURN);
}
