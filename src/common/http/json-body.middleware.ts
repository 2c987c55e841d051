import { NextFunction, Request, RequestHandler, Response } from 'express';
import { ValidationIssue } from '../validation/request-validation.error';
import { decodedBody } from './content-encoding';
import { exceedsJsonDepth } from './json-depth';

/** Set on the request when its body could not be taken as JSON; reported after authentication. */
export const BODY_PARSE_ERROR = Symbol('bodyParseError');

/** Bodies that a route reads as a stream rather than whole, so the JSON body limit is not theirs. */
const STREAMED_UPLOAD_TYPES = ['application/x-ndjson', 'application/ndjson'];

export type RequestWithParseError = Request & { [BODY_PARSE_ERROR]?: ValidationIssue };

export interface JsonBodyLimits {
  /** Largest body accepted, in bytes (after decompression). */
  limitBytes: number;
  /** Deepest nesting of arrays and objects accepted (a top-level array is depth 1). */
  maxDepth: number;
}

/** The 413 sentence: the limit in MiB when it is a whole number of them. */
export function bodyTooLargeDetail(limitBytes: number): string {
  const mib = limitBytes / 1024 / 1024;
  const limit = Number.isInteger(mib) ? `${mib} MiB` : `${limitBytes} bytes`;
  return `Request body too large: the limit is ${limit}`;
}

/**
 * Reads JSON bodies. A body over the limit is refused with 413 as soon as that is known: from a
 * declared Content-Length before a byte is read, or from the running count of a chunked body,
 * and the connection is closed rather than drained. A syntax error or a nesting past the limit is
 * not answered here: it is remembered and answered as a 422 once the caller is authenticated,
 * because authentication comes before validation. JSON.parse keeps `__proto__` and `constructor`
 * as plain own keys, as the contract wants them stored.
 */
export function jsonBodyParser(limits: JsonBodyLimits): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    const declared = request.headers['content-length'];
    const hasBody = declared !== undefined || request.headers['transfer-encoding'] !== undefined;
    if (!hasBody) {
      next();
      return;
    }
    if (request.headers['content-type'] === undefined) {
      // Not JSON nor an upload (a PATCH of a rename sends `Content-Length: 0` and no type): only
      // the declared size can refuse it.
      if (declared !== undefined && Number(declared) > limits.limitBytes) {
        refuseTooLarge(request, response, limits.limitBytes);
        return;
      }
      next();
      return;
    }
    // NDJSON is the import's streamed upload: read line by line in constant memory, of any size.
    const streamedUpload = request.is(STREAMED_UPLOAD_TYPES) !== false;
    if (!streamedUpload && declared !== undefined && Number(declared) > limits.limitBytes) {
      refuseTooLarge(request, response, limits.limitBytes);
      return;
    }
    if (!request.is('application/json')) {
      next();
      return;
    }
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(request.headers['content-type'] ?? '');
    if (charset && !/^utf-?8$/i.test(charset[1])) {
      response.status(415).json({ detail: 'Request body must be UTF-8 JSON' });
      return;
    }
    const source = decodedBody(request);
    if (!source) {
      response.status(415).json({ detail: 'Request body must be UTF-8 JSON' });
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const stop = () => {
      settled = true;
      source.removeAllListeners('data');
      source.removeAllListeners('end');
    };
    source.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.limitBytes) {
        stop();
        refuseTooLarge(request, response, limits.limitBytes);
        return;
      }
      chunks.push(chunk);
    });
    source.on('end', () => {
      stop();
      readJson(request as RequestWithParseError, Buffer.concat(chunks, received), limits.maxDepth);
      next();
    });
    source.on('error', () => {
      if (settled) {
        return;
      }
      stop();
      if (request.destroyed || request.readableAborted) {
        return;
      }
      // A body that fails to decompress is not JSON either.
      (request as RequestWithParseError)[BODY_PARSE_ERROR] = jsonInvalid();
      request.body = undefined;
      next();
    });
  };
}

function readJson(request: RequestWithParseError, bytes: Buffer, maxDepth: number): void {
  request.body = undefined;
  if (bytes.length === 0) {
    // An empty JSON body reads as an empty object, as Express's parser has always read it.
    request.body = {};
    return;
  }
  if (exceedsJsonDepth(bytes, maxDepth)) {
    request[BODY_PARSE_ERROR] = {
      type: 'value_error',
      loc: ['body'],
      msg: `Value error, JSON nested deeper than ${maxDepth} levels`,
      input: null,
    };
    return;
  }
  try {
    request.body = JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    request[BODY_PARSE_ERROR] = jsonInvalid();
  }
}

function jsonInvalid(): ValidationIssue {
  return { type: 'json_invalid', loc: ['body'], msg: 'JSON decode error', input: null };
}

/**
 * 413 at once, then the connection is closed: reading the rest of a body that may never end would
 * hold it open. The socket is half-closed once the answer is out, so that the client can read it,
 * and destroyed shortly after.
 */
function refuseTooLarge(request: Request, response: Response, limitBytes: number): void {
  request.unpipe();
  response.setHeader('Connection', 'close');
  response.once('finish', () => {
    const socket = request.socket;
    socket.end();
    setTimeout(() => socket.destroy(), 1000).unref();
  });
  response.status(413).json({ detail: bodyTooLargeDetail(limitBytes) });
}
