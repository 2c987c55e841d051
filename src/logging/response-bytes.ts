import { NextFunction, Request, Response } from 'express';

const BYTES = Symbol('responseBytes');

type CountedResponse = Response & { [BYTES]?: number };

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
 * Counts the body bytes a response sends, streamed or not (Content-Length is absent on streamed
 * answers), for the request log.
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
  next();
}

/** The body bytes sent so far (0 when the response was not counted). */
export function responseBytes(response: Response): number {
  return (response as CountedResponse)[BYTES] ?? 0;
}
