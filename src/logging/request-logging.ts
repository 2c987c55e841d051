import { Request, RequestHandler, Response } from 'express';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
// nestjs-pino's request context; its package exports no other way to bind it outside Nest.
import { storage, Store } from 'nestjs-pino/storage';
import { AuthenticatedRequest } from '../auth/current-user.decorator';
import { routeTemplate } from '../common/http/route-template';
import { redactUrl } from './redact-url';
import { requestIdOf } from './request-id';
import { responseBytes } from './response-bytes';

/** What the request's closing log line says about it, besides its status and duration. */
function requestFields(request: IncomingMessage, response: ServerResponse) {
  const req = request as AuthenticatedRequest;
  return {
    method: req.method,
    url: redactUrl(req.originalUrl ?? req.url),
    route: routeTemplate(req) ?? null,
    userId: req.user?.id ?? null,
    remoteAddress: req.ip,
    bytes: responseBytes(response as Response),
  };
}

/**
 * pino-http, set up so that every request is logged once, when it ends, with its method, route
 * template, status, duration, response size, caller and request id; and so that every line
 * logged while handling it carries the request id (`reqId`). Headers are not logged at all.
 * Mounted at Express level, so that unknown paths and Swagger's routes are logged too.
 */
export function requestLogging(root: Logger): RequestHandler[] {
  const log = pinoHttp({
    logger: root,
    genReqId: requestIdOf,
    quietReqLogger: true,
    quietResLogger: true,
    customProps: requestFields,
    serializers: { res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }) },
    customLogLevel: (_req, res, error) =>
      error !== undefined || res.statusCode >= 500 ? 'error' : 'info',
    customSuccessMessage: (req, res, time) =>
      `${req.method} ${routeTemplate(req as Request) ?? redactUrl(req.url ?? '')} ${res.statusCode} ${time} ms`,
    customErrorMessage: (req, res) =>
      `${req.method} ${routeTemplate(req as Request) ?? redactUrl(req.url ?? '')} ${res.statusCode} failed`,
  }) as unknown as RequestHandler;
  // What nestjs-pino's own middleware does: Nest's Logger writes to the request's logger (and so
  // carries its id) for as long as the request is handled.
  const bindLogger: RequestHandler = (request, _response, next) => {
    storage.run(new Store((request as Request & { log: Logger }).log), next);
  };
  return [log, bindLogger];
}
