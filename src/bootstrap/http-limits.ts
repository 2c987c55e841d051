import type { IncomingMessage, Server } from 'node:http';
import { HttpLimits } from '../config/http-limits.config';
import { drainAfterEarlyAnswers } from './early-answers';

/** How often Node looks for requests past their header or request deadline. */
const DEADLINE_CHECK_INTERVAL_MS = 1000;

/**
 * Puts the configured limits on the HTTP server, before it listens. Node checks the header and
 * request deadlines every 30 s by default, so a slow sender could hold a connection that long past
 * them: the check runs every second instead. A connection that sends nothing, or stalls while
 * sending a request, is closed after the idle timeout; while the service works on a request (a
 * long rename, a streamed export) no idle timeout applies. `headersTimeout` counts from a
 * request's first byte, not from the end of the previous one, so it can be far shorter than the
 * keep-alive timeout without cutting idle keep-alive connections short. An answer given before the
 * body was read drains the body within bounds before the connection closes (early-answers.ts).
 */
export function applyHttpLimits(server: Server, limits: HttpLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  // Read by Node when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    DEADLINE_CHECK_INTERVAL_MS;
  // Applied by Node to every new connection until its first request comes in.
  server.timeout = limits.idleTimeoutMs;
  drainAfterEarlyAnswers(server, limits);
  server.on('request', (request: IncomingMessage) => {
    const { socket } = request;
    // A request without a body is whole once its headers are in (its 'end' may never come, as
    // nobody reads it): no idle timeout while it is answered.
    const declared = Number(request.headers['content-length'] ?? 0);
    const hasBody = request.headers['transfer-encoding'] !== undefined || declared > 0;
    if (!hasBody || request.complete) {
      socket.setTimeout(0);
      return;
    }
    socket.setTimeout(limits.idleTimeoutMs);
    request.once('end', () => socket.setTimeout(0));
  });
}
