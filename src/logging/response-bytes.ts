import { NextFunction, Request, Response } from 'express';

const BYTES = Symbol('responseBytes');
const SENT_STATUS = Symbol('sentStatus');

type CountedResponse = Response & { [BYTES]?: number; [SENT_STATUS]?: number };

function sizeOf(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') {
    return Buffer.byteLength(
      chunk,
      typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
    );
  }
  return chunk instanceof Uint8Array ? chunk.byteLength : 0;
}

/**
 * Records what a response sends, for the request log and the metrics: the status in its status
 * line (`statusCode` can still be changed after the headers are out, and would then be a status
 * nobody received) and its body bytes, streamed or not (Content-Length is absent on streamed
 * answers).
 */
export function countResponseBytes(
  _request: Request,
  response: Response,
  next: NextFunction,
): void {
  const counted = response as CountedResponse;
  counted[BYTES] = 0;
  const write = response.write.bind(response) as (...args: unknown[]) => boolean;
  const end = response.end.bind(response) as (...args: unknown[]) => Response;
  const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => Response;
  response.write = ((chunk: unknown, ...rest: unknown[]) => {
    counted[BYTES]! += sizeOf(chunk, rest[0]);
    return write(chunk, ...rest);
  }) as Response['write'];
  response.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== 'function') {
      counted[BYTES]! += sizeOf(chunk, rest[0]);
    }
    return end(chunk, ...rest);
  }) as Response['end'];
  // Node calls writeHead for the implicit headers of write() and end() too.
  response.writeHead = ((...args: unknown[]) => {
    const result = writeHead(...args);
    counted[SENT_STATUS] = response.statusCode;
    return result;
  }) as Response['writeHead'];
  next();
}

/** The body bytes sent so far (0 when the response was not counted). */
export function responseBytes(response: Response): number {
  return (response as CountedResponse)[BYTES] ?? 0;
}

/**
 * The status the client was sent, or null when no status line went out (the connection closed
 * before the answer began). `statusCode` when the response was not counted.
 */
export function sentStatus(response: Response): number | null {
  if (!response.headersSent) {
    return null;
  }
  return (response as CountedResponse)[SENT_STATUS] ?? response.statusCode;
}
