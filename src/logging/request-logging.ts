import { RequestHandler, Response } from 'express';
import { Level, Logger } from 'pino';
// nestjs-pino's request context; its package exports no other way to bind it outside Nest.
import { storage, Store } from 'nestjs-pino/storage';
import { AuthenticatedRequest } from '../auth/current-user.decorator';
import { routeTemplate } from '../common/http/route-template';
import { redactUrl } from './redact-url';
import { requestIdOf } from './request-id';
import { responseBytes, sentStatus } from './response-bytes';

/**
 * Every request is logged once, when it ends (or its connection closes), with its method, route
 * template, status, duration, response size, caller and request id; every line logged while
 * handling it carries the request id (`reqId`), through nestjs-pino's request context. Headers
 * are not logged at all. Mounted at Express level, so that unknown paths and Swagger's routes are
 * logged too.
 *
 * The status is the one the client was sent, and how the request ended is never dressed up:
 * - answered whole: `res.statusCode` is the status sent, at info (error from 500 on):
 *   `PATCH /api/v1/monitor/messages/session/{old_session_id} 200 12 ms`;
 * - cut after its answer began (the client stopped reading and left, a stream failed half-way, the
 *   shutdown deadline): the status sent and `cut: true`, at warn (error from 500 on):
 *   `GET /api/v1/monitor/messages/export 200 cut short 5012 ms`;
 * - no answer at all (the connection closed first: the client gave up, a timeout, a shutdown):
 *   `res.statusCode: null`, at warn: `POST /api/v1/monitor/messages no answer (connection closed)
 *   70012 ms`.
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
    // Read now: Node remembers the peer's address once asked, and a socket destroyed before it was
    // asked no longer knows it (the requests whose client left are those worth knowing).
    const peer = request.socket.remoteAddress;
    // `close` comes after `finish` for an answer sent whole, and alone for one cut short. It runs
    // after the answer, outside any request handling: nothing may be thrown out of it, or the
    // process would end.
    response.once('close', () => {
      try {
        writeLine(log, request, response, started, peer);
      } catch (error) {
        reportFailure(log, error);
      }
    });
    // What nestjs-pino's own middleware does: Nest's Logger writes to the request's logger (and
    // so carries its id) for as long as the request is handled.
    storage.run(new Store(log), next);
  };
}

function writeLine(
  log: Logger,
  req: AuthenticatedRequest,
  res: Response,
  started: number,
  peer: string | undefined,
): void {
  const status = sentStatus(res);
  const cut = status !== null && !res.writableFinished;
  const failed = status !== null && status >= 500;
  const level: Level = failed ? 'error' : status === null || cut ? 'warn' : 'info';
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
    remoteAddress: clientAddress(req, peer),
    bytes: responseBytes(res),
    res: { statusCode: status },
    responseTime,
  };
  if (cut) {
    fields.cut = true;
  }
  const outcome =
    status === null
      ? 'no answer (connection closed)'
      : cut
        ? `${status} cut short`
        : failed
          ? `${status} failed`
          : `${status}`;
  if (failed) {
    fields.err = new Error(`failed with status code ${status}`);
  }
  log[level](fields, `${req.method} ${path} ${outcome} ${responseTime} ms`);
}

/**
 * Express's `req.ip` (the client as seen through TRUSTED_PROXIES), also once Node has let go of
 * the socket: it nulls `req.socket` when the request stream is destroyed (a body reader that
 * stopped early), and `req.ip` would then throw.
 */
function clientAddress(req: AuthenticatedRequest, peer: string | undefined): string | null {
  const view: AuthenticatedRequest =
    (req.socket as typeof req.socket | null) === null
      ? (Object.create(req, { socket: { value: { remoteAddress: peer } } }) as AuthenticatedRequest)
      : req;
  return view.ip ?? peer ?? null;
}

/** A bug in the request log is reported, never thrown: the answer is out, the process must live. */
function reportFailure(log: Logger, error: unknown): void {
  try {
    log.error({ err: error }, 'could not write the request log line');
  } catch {
    // The logger itself is failing: there is nowhere left to report to.
  }
}
