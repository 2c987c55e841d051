import type { IncomingMessage } from 'node:http';
import { Readable, Transform } from 'node:stream';
import * as zlib from 'node:zlib';

/** A body's Content-Encoding, as the service takes it. */
export type ContentCoding = 'identity' | 'gzip' | 'deflate' | 'br';

/** The codings a body may come in, as a 415 announces them in its `Accept-Encoding`. */
export const ACCEPTED_CONTENT_CODINGS = 'gzip, deflate, br';

/**
 * Bytes a decompressor hands on at a time. Each piece costs a turn of the event loop, and a busy
 * service takes its time between turns: with zlib's default 16 KiB, a body inflating to the
 * 10 MiB limit took 640 turns, over ten seconds under load. A quarter of a MiB makes it 40, and
 * a body passing the limit overshoots it by that much at most.
 */
const DECODED_CHUNK_BYTES = 256 * 1024;

/** The 415's sentence for a Content-Encoding the service does not take. */
export const UNSUPPORTED_CODING_DETAIL =
  'Unsupported Content-Encoding: send the body as it is, or compressed once with gzip, deflate or br';

/**
 * The request's Content-Encoding, or undefined when the service does not take it. One coding at
 * most: a body compressed twice ("gzip, br") is refused, as no client needs it and each layer
 * would multiply what a small body inflates to.
 */
export function contentCodingOf(request: IncomingMessage): ContentCoding | undefined {
  const header = request.headers['content-encoding'];
  switch ((header ?? 'identity').toLowerCase().trim()) {
    case 'identity':
    case '':
      return 'identity';
    case 'gzip':
    case 'x-gzip':
      return 'gzip';
    case 'deflate':
      return 'deflate';
    case 'br':
      return 'br';
    default:
      return undefined;
  }
}

/**
 * The body as sent, decompressed when its `Content-Encoding` says so; undefined for an encoding
 * the service does not take. One place decides which encodings a body may come in, for the JSON
 * bodies and the streamed uploads alike. The decompressor inflates only as fast as it is read,
 * so a reader that counts what it gets and stops at its limit stops a bomb there. Data that is
 * not valid in its coding makes the returned stream emit 'error'. `chunkSize`: the bytes handed
 * on at a time (see DECODED_CHUNK_BYTES).
 */
export function decodedBody(
  request: IncomingMessage,
  chunkSize = DECODED_CHUNK_BYTES,
): Readable | undefined {
  switch (contentCodingOf(request)) {
    case 'identity':
      return request;
    case 'gzip':
      return decoding(request, zlib.createGunzip({ chunkSize }));
    case 'deflate':
      return decoding(request, zlib.createInflate({ chunkSize }));
    case 'br':
      return decoding(request, zlib.createBrotliDecompress({ chunkSize }));
    default:
      return undefined;
  }
}

/**
 * Pipes the body into `decoder`. pipe() does not pass on a client that goes away mid-body, so the
 * decoder is ended with an error then: a reader of it would otherwise wait for an end that never
 * comes.
 */
function decoding(request: IncomingMessage, decoder: Transform): Readable {
  // A reader that stopped early (an answer given, a limit passed) no longer listens: a decoder
  // failing after that (the client gone, junk after the limit) must not be an unhandled 'error'
  // that ends the process. Readers still listening get the error as usual.
  decoder.on('error', ignoreLateFailure);
  request.once('close', () => {
    if (!request.complete) {
      decoder.destroy(new Error('The client went away before the end of the body'));
    }
  });
  return request.pipe(decoder);
}

function ignoreLateFailure(): void {
  // Heard by the reader, if one still listens.
}
