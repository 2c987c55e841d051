import { StringDecoder } from 'node:string_decoder';

/** One line of an NDJSON stream, numbered from 1. */
export interface NumberedLine {
  number: number;
  text: string;
}

/** A line longer than the bound: it is not held, only reported. */
export class LineTooLongError extends Error {
  constructor(readonly lineNumber: number) {
    super(`line ${lineNumber} is too long`);
  }
}

/**
 * The non-blank lines of a byte stream, as they arrive: memory holds one line at most (and never
 * more than `maxLineChars`), whatever the stream's size. `\n` and `\r\n` both end a line;
 * UTF-8 characters split across chunks are joined.
 */
export async function* ndjsonLines(
  source: AsyncIterable<Buffer | string>,
  maxLineChars: number,
): AsyncGenerator<NumberedLine> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let number = 0;
  const finish = (text: string): NumberedLine | undefined => {
    number += 1;
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    return line.trim() === '' ? undefined : { number, text: line };
  };
  for await (const chunk of source) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let end = pending.indexOf('\n');
    while (end >= 0) {
      const line = finish(pending.slice(0, end));
      pending = pending.slice(end + 1);
      if (line) {
        yield line;
      }
      end = pending.indexOf('\n');
    }
    if (pending.length > maxLineChars) {
      throw new LineTooLongError(number + 1);
    }
  }
  pending += decoder.end();
  if (pending !== '') {
    const line = finish(pending);
    if (line) {
      yield line;
    }
  }
}
