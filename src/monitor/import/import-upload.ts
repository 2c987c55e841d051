import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { decodedBody } from '../../common/http/content-encoding';
import { UnsupportedImportEncodingError } from './errors/unsupported-import-encoding.error';
import { UnsupportedImportTypeError } from './errors/unsupported-import-type.error';

/** Content types an NDJSON body may come with (curl's --data-binary sends the form type). */
const NDJSON_TYPES = [
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'text/plain',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
];

/**
 * An import's body, decompressed as its Content-Encoding says, read at the reader's pace. A reader
 * that stops early leaves the connection alone: the rest of the body is then read and dropped
 * (without decompressing it), so that the client gets its answer instead of a reset mid-upload,
 * and the connection serves its next request.
 */
export class ImportUpload {
  /** The body's bytes as sent, or decompressed. */
  readonly bytes: AsyncIterable<Buffer>;
  /** The Content-Encoding's name, for the answers: `identity`, `gzip`, `deflate` or `br`. */
  readonly encoding: string;
  private readonly decoder: Readable | undefined;
  private decoderFailure: unknown;

  /** Refuses (415) a body that is not NDJSON, or in an encoding the service does not know. */
  constructor(private readonly request: IncomingMessage) {
    const type = (request.headers['content-type'] ?? 'application/x-ndjson')
      .split(';')[0]
      .trim()
      .toLowerCase();
    if (!NDJSON_TYPES.includes(type)) {
      throw new UnsupportedImportTypeError();
    }
    // zlib's own 16 KiB pieces, not the JSON bodies' 256 KiB: a decoder that fails drops what it
    // holds undelivered, and the 422 names the line decoding broke in, so less held is a truer
    // line number. An upload's lines are read as they come, so the smaller pieces cost no turns.
    const decoded = decodedBody(request, zlib.constants.Z_DEFAULT_CHUNK);
    if (!decoded) {
      throw new UnsupportedImportEncodingError();
    }
    if (decoded === request) {
      this.encoding = 'identity';
      // Stopping early must not destroy the request: that would reset the connection.
      this.bytes = request.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
    } else {
      const name = (request.headers['content-encoding'] ?? '').trim().toLowerCase();
      this.encoding = name === 'x-gzip' ? 'gzip' : name;
      this.decoder = decoded;
      // Always listened to: a decoder that fails after the reading stopped must not go unheard.
      decoded.on('error', (error) => (this.decoderFailure ??= error));
      this.bytes = decoded;
    }
  }

  /**
   * True when `error` is the decompressor's refusal of the body as sent (not valid gzip, or cut
   * short), rather than the client going away.
   */
  isNotDecodable(error: unknown): boolean {
    const clientGone = this.request.destroyed && !this.request.complete;
    return this.decoder !== undefined && error === this.decoderFailure && !clientGone;
  }

  /** Stops decompressing and drops the rest of the body as it comes; the answer need not wait. */
  discardRest(): void {
    if (this.decoder) {
      this.request.unpipe();
      this.decoder.destroy();
    }
    if (!this.request.readableEnded && !this.request.destroyed) {
      this.request.resume();
    }
  }
}
