import { NextFunction, Request, RequestHandler, Response } from 'express';

/** The raw path segments of a request whose percent-encoding could not be decoded. */
export const MALFORMED_PATH_SEGMENTS = Symbol('malformedPathSegments');

export type RequestWithMalformedPath = Request & { [MALFORMED_PATH_SEGMENTS]?: string[] };

/**
 * Express's router answers a path parameter it cannot percent-decode with a 400 of its own,
 * before the guards run. Such a segment is escaped here instead (its `%` become `%25`, so that
 * the parameter decodes to the raw text) and remembered, so that the request is routed as usual,
 * authenticated first, and only then refused with a 422 (UnreadableRequestGuard).
 */
export function malformedPathMiddleware(): RequestHandler {
  return (request: Request, _response: Response, next: NextFunction) => {
    const queryStart = request.url.indexOf('?');
    const path = queryStart < 0 ? request.url : request.url.slice(0, queryStart);
    if (!path.includes('%')) {
      next();
      return;
    }
    const malformed: string[] = [];
    const repaired = path.split('/').map((segment) => {
      try {
        decodeURIComponent(segment);
        return segment;
      } catch {
        malformed.push(segment);
        return segment.replace(/%/g, '%25');
      }
    });
    if (malformed.length > 0) {
      request.url = repaired.join('/') + (queryStart < 0 ? '' : request.url.slice(queryStart));
      (request as RequestWithMalformedPath)[MALFORMED_PATH_SEGMENTS] = malformed;
    }
    next();
  };
}
