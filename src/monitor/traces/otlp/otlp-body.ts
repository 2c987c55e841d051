import type { Request } from 'express';
import { decodedBody } from '../../../common/http/content-encoding';
import { OtlpBodyTooLargeError } from '../errors/otlp-body-too-large.error';
import { OtlpUndecodableError } from '../errors/otlp-undecodable.error';
import { OtlpUnsupportedTypeError } from '../errors/otlp-unsupported-type.error';

/**
 * A protobuf body, whole, decompressed as its Content-Encoding says, at most `limitBytes` after
 * decompression (a small gzip body may inflate to far more). The global JSON body reader leaves
 * such bodies alone, except for refusing a declared Content-Length over the limit.
 */
export function readRawBody(request: Request, limitBytes: number): Promise<Buffer> {
  const source = decodedBody(request);
  if (!source) {
    return Promise.reject(new OtlpUnsupportedTypeError());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const fail = (error: Error) => {
      source.removeAllListeners('data');
      source.removeAllListeners('end');
      request.unpipe();
      reject(error);
    };
    source.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) {
        fail(new OtlpBodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    });
    source.on('end', () => resolve(Buffer.concat(chunks, received)));
    source.once('error', (error: Error) => {
      if (!request.complete) {
        // The client went away mid-body: nobody is left to answer.
        fail(error);
        return;
      }
      fail(new OtlpUndecodableError('its compression does not decode'));
    });
  });
}
