import { NextFunction, Request, RequestHandler, Response } from 'express';
import { ValidationIssue } from '../validation/request-validation.error';
import { BodyTooLargeError } from './body-too-large.error';
import { contentCodingOf } from './content-encoding';
import { NonUtf8JsonError } from './non-utf8-json.error';
import { UnsupportedCodingError } from './unsupported-coding.error';

/** Set on the request when its body could not be taken as JSON; reported after authentication. */
export const BODY_PARSE_ERROR = Symbol('bodyParseError');

/** Set on the request, with its limits, when its JSON body is to be read after authentication. */
export const PENDING_JSON_BODY = Symbol('pendingJsonBody');

/** Bodies that a route reads as a stream rather than whole, so the JSON body limit is not theirs. */
const STREAMED_UPLOAD_TYPES = ['application/x-ndjson', 'application/ndjson'];

export type RequestWithParseError = Request & {
  [BODY_PARSE_ERROR]?: ValidationIssue;
  [PENDING_JSON_BODY]?: JsonBodyLimits;
};

export interface JsonBodyLimits {
  /** Largest body accepted, in bytes (after decompression). */
  limitBytes: number;
  /** Deepest nesting of arrays and objects accepted (a top-level array is depth 1). */
  maxDepth: number;
}

/**
 * Judges a request's body from its headers alone, before authentication, and refuses at once
 * what the service could not read whoever sent it: a Content-Encoding it does not take (415, on
 * any body), a declared length over the limit (413, except for the streamed uploads), a JSON
 * charset other than UTF-8 (415). These answers say nothing about anyone's data, and they spare
 * an honest client its upload. A JSON body is then only marked to be read: UnreadableRequestGuard
 * reads it once the caller is authenticated, so that no one without a key makes the service
 * inflate or parse anything, and an `Expect: 100-continue` client without one is refused before
 * it sends its body. The refusals go to the exception filter, like every error, so that each route
 * gets them in its own shape (the OTLP receiver's google.rpc.Status). The rest of the body is not
 * read here; what becomes of it (read and thrown away within bounds, or the connection closed) is
 * decided for every early answer alike (bootstrap/early-answers.ts).
 */
export function jsonBodyParser(limits: JsonBodyLimits): RequestHandler {
  return (request: Request, _response: Response, next: NextFunction) => {
    const declared = request.headers['content-length'];
    const hasBody = declared !== undefined || request.headers['transfer-encoding'] !== undefined;
    if (!hasBody) {
      next();
      return;
    }
    // An empty body has nothing to decode, whatever coding it names.
    if (Number(declared) !== 0 && contentCodingOf(request) === undefined) {
      next(new UnsupportedCodingError());
      return;
    }
    if (request.headers['content-type'] === undefined) {
      // Not JSON nor an upload (a PATCH of a rename sends `Content-Length: 0` and no type): only
      // the declared size can refuse it.
      if (declared !== undefined && Number(declared) > limits.limitBytes) {
        next(new BodyTooLargeError(limits.limitBytes));
        return;
      }
      next();
      return;
    }
    // NDJSON is the import's streamed upload: read line by line in constant memory, of any size.
    const streamedUpload = request.is(STREAMED_UPLOAD_TYPES) !== false;
    if (!streamedUpload && declared !== undefined && Number(declared) > limits.limitBytes) {
      next(new BodyTooLargeError(limits.limitBytes));
      return;
    }
    if (!request.is('application/json')) {
      next();
      return;
    }
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(request.headers['content-type'] ?? '');
    if (charset && !/^utf-?8$/i.test(charset[1])) {
      next(new NonUtf8JsonError());
      return;
    }
    (request as RequestWithParseError)[PENDING_JSON_BODY] = limits;
    next();
  };
}
