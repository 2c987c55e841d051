import type { IncomingMessage } from 'node:http';
import { Readable, Transform } from 'node:stream';
import * as zlib from 'node:zlib';

/** The Content-Encodings a body may come in besides identity, for the answers that list them. */
export const BODY_CONTENT_ENCODINGS = ['gzip', 'deflate', 'br'] as const;

/**
 * The body as sent, decompressed when its `Content-Encoding` says so; undefined for an encoding
 * the service does not know. One place decides which encodings a body may come in, for the JSON
 * bodies and the streamed uploads alike.
 */
export function decodedBody(request: IncomingMessage): Readable | undefined {
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  switch (encoding) {
    case 'identity':
      return request;
    case 'gzip':
    case 'x-gzip':
      return decoding(request, zlib.createGunzip());
    case 'deflate':
      return decoding(request, zlib.createInflate());
    case 'br':
      return decoding(request, zlib.createBrotliDecompress());
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
  request.once('close', () => {
    if (!request.complete) {
      decoder.destroy(new Error('The client went away before the end of the body'));
    }
  });
  return request.pipe(decoder);
}
