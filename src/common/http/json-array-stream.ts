import { StreamableFile } from '@nestjs/common';
import * as os from 'node:os';
import { ReadAheadBody } from './read-ahead-body';

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
  spoolDirectory?: string,
): Promise<StreamableFile> {
  return streamItems(items, JSON_ARRAY, spoolDirectory);
}

/** Sends items as newline-delimited JSON, one a line, as they come (see streamItems). */
export function ndjsonResponse(
  items: AsyncIterable<string> | Iterable<string>,
  spoolDirectory?: string,
): Promise<StreamableFile> {
  return streamItems(items, NDJSON, spoolDirectory);
}

/** Sends one JSON document that is already text. */
export function jsonTextResponse(json: string): StreamableFile {
  return textResponse(json, JSON_ARRAY.type);
}

function textResponse(text: string, type: string): StreamableFile {
  return new StreamableFile(Buffer.from(text, 'utf8'), { type });
}

/** Items are batched into chunks of about this many characters: fewer, larger writes. */
const CHUNK_CHARS = 65536;

/**
 * Sends items as one framed answer.
 *
 * Items already in memory (an ingest's answer, a page) are bounded by the route's own limits and
 * sent as one buffer. Items that come asynchronously (rows from the database) are read ahead of
 * the client into a ReadAheadBody, at the database's pace: however slowly the client reads, or if
 * it stops, the query ends in its own time and gives its connection back, and the answer never
 * sits whole in memory. The first row is read before the answer starts, so that a failing query
 * still becomes a proper error answer instead of a cut-off 200.
 */
async function streamItems(
  items: AsyncIterable<string> | Iterable<string>,
  framing: Framing,
  spoolDirectory = os.tmpdir(),
): Promise<StreamableFile> {
  if (!(Symbol.asyncIterator in items)) {
    const all = [...items];
    const text =
      all.length === 0
        ? framing.empty
        : `${framing.open}${all.join(framing.separator)}${framing.close}`;
    return textResponse(text, framing.type);
  }
  // The source's own iterator: a wrapping generator would add a hop per item.
  const iterator = items[Symbol.asyncIterator]();
  let first: IteratorResult<string>;
  try {
    first = await iterator.next();
  } catch (error) {
    await iterator.return?.(undefined);
    throw error;
  }
  if (first.done) {
    return textResponse(framing.empty, framing.type);
  }
  const body = new ReadAheadBody(spoolDirectory).fillWith(async (target) => {
    let chunk = `${framing.open}${first.value}`;
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        chunk += `${framing.separator}${next.value}`;
        if (chunk.length >= CHUNK_CHARS) {
          target.write(chunk);
          chunk = '';
          if (target.stopped()) {
            return;
          }
          await ReadAheadBody.pause();
        }
      }
    } finally {
      // Ends the query (and frees its connection) however the loop ends.
      await iterator.return?.(undefined);
    }
    target.write(`${chunk}${framing.close}`);
  });
  return cutOnError(new StreamableFile(body, { type: framing.type }));
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
