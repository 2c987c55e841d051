import express, { NextFunction, Request, RequestHandler, Response } from 'express';

/** Set on the request when its body was not valid JSON; reported after authentication. */
export const BODY_PARSE_ERROR = Symbol('bodyParseError');

export type RequestWithParseError = Request & { [BODY_PARSE_ERROR]?: string };

/**
 * Parses JSON bodies. A syntax error is not answered here: it is remembered and answered as a 422
 * once the caller is authenticated, because authentication comes before validation. An oversized
 * body is refused at once (413), before it is read whole.
 */
export function jsonBodyParser(limitBytes: number): RequestHandler {
  const parse = express.json({ limit: limitBytes, strict: false });
  return (request: Request, response: Response, next: NextFunction) => {
    parse(request, response, (error?: unknown) => {
      if (!error) {
        next();
        return;
      }
      const { type, message } = error as { type?: string; message?: string };
      if (type === 'entity.parse.failed') {
        (request as RequestWithParseError)[BODY_PARSE_ERROR] = message ?? 'invalid JSON';
        request.body = undefined;
        next();
        return;
      }
      if (type === 'entity.too.large') {
        response.status(413).json({
          detail: `Request body too large: the limit is ${Math.floor(limitBytes / 1024 / 1024)} MiB`,
        });
        return;
      }
      if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
        response.status(415).json({ detail: 'Request body must be UTF-8 JSON' });
        return;
      }
      if (type === 'request.aborted') {
        return;
      }
      response.status(400).json({ detail: 'Request body could not be read' });
    });
  };
}
