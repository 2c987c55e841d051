import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';

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
      return request.pipe(zlib.createGunzip());
    case 'deflate':
      return request.pipe(zlib.createInflate());
    case 'br':
      return request.pipe(zlib.createBrotliDecompress());
    default:
      return undefined;
  }
}
