import { RequestHandler, Response } from 'express';
import { Level, Logger } from 'pino';
// nestjs-pino's request context; its package exports no other way to bind it outside Nest.
import { storage, Store } from 'nestjs-pino/storage';
import { AuthenticatedRequest } from '../auth/current-user.decorator';
import { routeTemplate } from '../common/http/route-template';
import { redactUrl } from './redact-url';
import { requestIdOf } from './request-id';
import { responseBytes } from './response-bytes';

/**
 * Every request is logged once, when it ends (or its client hangs up), with its method, route
 * template, status, duration, response size, caller and request id; every line logged while
 * handling it carries the request id (`reqId`), through nestjs-pino's request context. Headers
 * are not logged at all. Mounted at Express level, so that unknown paths and Swagger's routes are
 * logged too.
 *
 * The line is pino-http's (`res.statusCode`, `responseTime`, `err` on failures, the same keys),
 * written by this small middleware instead of pino-http itself: per request pino-http builds three
 * child loggers, computes the custom fields twice (at the start, for a logger no line uses, and at
 * the end) and listens for three events. That was about a third of `GET /health`'s CPU time
 * (issue 11, bench/README.md). Here: one child logger, one `close` listener, and the line is built
 * only when its level is enabled.
 */
export function requestLogging(root: Logger): RequestHandler {
  return (request, response, next) => {
    const started = Date.now();
    const log = root.child({ reqId: requestIdOf(request, response) });
    // `close` comes after `finish` for an answer sent whole, and alone for one cut short.
    response.once('close', () => writeLine(log, request, response, started));
    // What nestjs-pino's own middleware does: Nest's Logger writes to the request's logger (and
    // so carries its id) for as long as the request is handled.
    storage.run(new Store(log), next);
  };
}

function writeLine(log: Logger, req: AuthenticatedRequest, res: Response, started: number): void {
  const failed = res.statusCode >= 500;
  const level: Level = failed ? 'error' : 'info';
  if (!log.isLevelEnabled(level)) {
    return;
  }
  const responseTime = Date.now() - started;
  const route = routeTemplate(req);
  const path = route ?? redactUrl(req.url ?? '');
  const fields: Record<string, unknown> = {
    method: req.method,
    url: redactUrl(req.originalUrl ?? req.url),
    route: route ?? null,
    userId: req.user?.id ?? null,
    remoteAddress: req.ip,
    bytes: responseBytes(res),
    res: { statusCode: res.statusCode },
    responseTime,
  };
  if (failed) {
    fields.err = new Error(`failed with status code ${res.statusCode}`);
    log.error(fields, `${req.method} ${path} ${res.statusCode} failed`);
  } else {
    log.info(fields, `${req.method} ${path} ${res.statusCode} ${responseTime} ms`);
  }
}
