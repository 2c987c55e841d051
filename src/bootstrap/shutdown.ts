import { INestApplication, Logger } from '@nestjs/common';
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Readiness } from '../health/readiness';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * After the signal, connections are still accepted this long: a client whose connection sits in
 * the listen backlog (the kernel accepted it, the event loop had not yet: after a long synchronous
 * SQLite statement, say) has already sent its request and must get an answer, not a reset.
 */
const ACCEPT_GRACE_MS = 200;

/** No new request for this long, and connections with nothing in flight are closed. */
const QUIET_MS = 250;

const POLL_MS = 25;

/** Counts the requests being answered on `server`. */
class InFlight {
  count = 0;
  lastStart = 0;

  constructor(server: Server) {
    server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
      this.count += 1;
      this.lastStart = Date.now();
      response.once('close', () => (this.count -= 1));
    });
  }
}

/**
 * On SIGTERM or SIGINT, drains and exits 0:
 * 1. /health_check answers 503 at once (load balancers stop sending), and every answer from now
 *    on carries `Connection: close`, so no client sends another request on its connection;
 * 2. after a short grace, the listener closes (new connections are refused);
 * 3. once no request has started for a moment, connections with nothing in flight are closed;
 * 4. every request already received is answered; answers still being sent at SHUTDOWN_TIMEOUT
 *    (a client that stopped reading) are cut;
 * 5. the application closes (database pool, background work) and the process exits 0.
 *
 * Nest's own enableShutdownHooks() would re-raise the signal after closing, so the process would
 * end "killed by SIGTERM" (143), which orchestrators report as a failure. A repeated signal while
 * draining is ignored: Ctrl-C reaches both npm and the service, and npm passes its own on, so a
 * single keypress arrives twice. SHUTDOWN_TIMEOUT bounds the drain; SIGKILL ends it at once.
 */
export function closeOnSignals(
  app: INestApplication,
  logger: Logger,
  shutdownTimeoutMs: number,
): void {
  const server = app.getHttpServer() as Server;
  const inFlight = new InFlight(server);
  let draining = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (draining) {
      logger.log(`${signal} received again: already shutting down`);
      return;
    }
    draining = true;
    logger.log(`${signal} received: shutting down`);
    drain(app, server, inFlight, shutdownTimeoutMs, logger).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`Shutdown failed: ${(error as Error).message ?? String(error)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of SIGNALS) {
    process.on(signal, onSignal);
  }
}

async function drain(
  app: INestApplication,
  server: Server,
  inFlight: InFlight,
  shutdownTimeoutMs: number,
  logger: Logger,
): Promise<void> {
  const deadline = Date.now() + shutdownTimeoutMs;
  app.get(Readiness).startDraining();
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    response.setHeader('Connection', 'close');
  });
  await sleep(ACCEPT_GRACE_MS);
  // net.Server's close stops listening only; http.Server's would also drop idle keep-alive
  // connections at once, including those whose next request is sent but not yet read.
  NetServer.prototype.close.call(server);
  while (Date.now() < deadline && Date.now() - inFlight.lastStart < QUIET_MS) {
    await sleep(POLL_MS);
  }
  server.closeIdleConnections();
  while (inFlight.count > 0 && Date.now() < deadline) {
    await sleep(POLL_MS);
    // A keep-alive connection whose answer began before the signal is idle once it is sent.
    server.closeIdleConnections();
  }
  if (inFlight.count > 0) {
    logger.warn(`SHUTDOWN_TIMEOUT reached: cutting ${inFlight.count} answer(s) still being sent`);
  }
  server.closeAllConnections();
  await app.close();
}
