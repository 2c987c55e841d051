import { StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';

/**
 * Sends items (each already JSON text) as one JSON array, as they come, with backpressure. The
 * first item is read before the answer starts, so that a failing query still becomes a proper
 * error answer instead of a cut-off 200.
 */
export async function jsonArrayResponse(
  items: AsyncIterable<string> | Iterable<string>,
): Promise<StreamableFile> {
  const iterator = (async function* () {
    yield* items;
  })();
  let first: IteratorResult<string>;
  try {
    first = await iterator.next();
  } catch (error) {
    await iterator.return(undefined);
    throw error;
  }
  async function* chunks(): AsyncGenerator<string> {
    try {
      if (first.done) {
        yield '[]';
        return;
      }
      // Batching items into chunks of about 64 KiB keeps the per-write overhead low.
      let chunk = `[${first.value}`;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        chunk += `,${next.value}`;
        if (chunk.length >= 65536) {
          yield chunk;
          chunk = '';
        }
      }
      yield `${chunk}]`;
    } finally {
      // Ends the source (and frees its connection) also when the client goes away early.
      await iterator.return(undefined);
    }
  }
  const stream = Readable.from(chunks(), { objectMode: false });
  const file = new StreamableFile(stream, { type: 'application/json' });
  // Half an array is already sent: cutting the connection is the only honest signal left.
  file.setErrorHandler((error, response) => {
    if (response.destroy) {
      response.destroy(error);
    } else {
      response.end();
    }
  });
  return file;
}
