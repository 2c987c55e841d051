import { INestApplication, Logger } from '@nestjs/common';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * On SIGTERM or SIGINT, stops taking connections, lets requests in flight finish, closes the
 * database, and exits 0. Nest's own enableShutdownHooks() re-raises the signal after closing, so
 * the process would end "killed by SIGTERM" (143), which orchestrators report as a failure.
 * A second signal while closing ends the process at once (Node's default).
 */
export function closeOnSignals(app: INestApplication, logger: Logger): void {
  for (const signal of SIGNALS) {
    process.once(signal, () => {
      logger.log(`${signal} received: shutting down`);
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error(`Shutdown failed: ${(error as Error).message ?? String(error)}`);
          process.exit(1);
        },
      );
    });
  }
}
