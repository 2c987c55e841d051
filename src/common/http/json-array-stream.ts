import { StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';

/** How items (each already JSON text) are framed into one answer. */
interface Framing {
  type: string;
  empty: string;
  open: string;
  separator: string;
  close: string;
}

const JSON_ARRAY: Framing = {
  type: 'application/json',
  empty: '[]',
  open: '[',
  separator: ',',
  close: ']',
};

const NDJSON: Framing = {
  type: 'application/x-ndjson',
  empty: '',
  open: '',
  separator: '\n',
  close: '\n',
};

/** Sends items as one JSON array, as they come (see streamItems). */
export function jsonArrayResponse(
  items: AsyncIterable<string> | Iterable<string>,
): Promise<StreamableFile> {
  return streamItems(items, JSON_ARRAY);
}

/** Sends items as newline-delimited JSON, one a line, as they come (see streamItems). */
export function ndjsonResponse(
  items: AsyncIterable<string> | Iterable<string>,
): Promise<StreamableFile> {
  return streamItems(items, NDJSON);
}

/** Sends one JSON document that is already text. */
export function jsonTextResponse(json: string): StreamableFile {
  return new StreamableFile(Buffer.from(json, 'utf8'), { type: 'application/json' });
}

/**
 * Streams items with backpressure, never holding the whole answer. The first item is read before
 * the answer starts, so that a failing query still becomes a proper error answer instead of a
 * cut-off 200.
 */
async function streamItems(
  items: AsyncIterable<string> | Iterable<string>,
  framing: Framing,
): Promise<StreamableFile> {
  // The source's own iterator when it has one: a wrapping generator would add a hop per item.
  const iterator: AsyncIterator<string> =
    Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : asyncIteratorOf(items);
  let first: IteratorResult<string>;
  try {
    first = await iterator.next();
  } catch (error) {
    await iterator.return?.(undefined);
    throw error;
  }
  async function* chunks(): AsyncGenerator<string> {
    if (first.done) {
      if (framing.empty !== '') {
        yield framing.empty;
      }
      return;
    }
    // Batching items into chunks of about 64 KiB keeps the per-write overhead low.
    let chunk = `${framing.open}${first.value}`;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      chunk += `${framing.separator}${next.value}`;
      if (chunk.length >= 65536) {
        yield chunk;
        chunk = '';
      }
    }
    yield `${chunk}${framing.close}`;
  }
  const stream = Readable.from(chunks(), { objectMode: false });
  // However the answer ends (read to the end, failed, or the client gone, even before the first
  // read), the source is ended with it: it may hold a database connection.
  stream.once('close', () => {
    void iterator.return?.(undefined);
  });
  return cutOnError(new StreamableFile(stream, { type: framing.type }));
}

/**
 * A streamed answer that fails after its status line: part of it is already sent, so cutting the
 * connection is the only honest signal left.
 */
export function cutOnError(file: StreamableFile): StreamableFile {
  file.setErrorHandler((error, response) => {
    if (response.destroy) {
      response.destroy(error);
    } else {
      response.end();
    }
  });
  return file;
}

/** A synchronous iterable's items, through the asynchronous iterator protocol. */
function asyncIteratorOf(items: Iterable<string>): AsyncIterator<string> {
  const source = items[Symbol.iterator]();
  return {
    next: () => Promise.resolve(source.next()),
    return: (value?: unknown) =>
      Promise.resolve(source.return?.(value) ?? { done: true as const, value: undefined }),
  };
}
