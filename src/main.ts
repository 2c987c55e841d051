// First: tracing hooks http, pg and SQLite as they load (and loads nothing when it is off).
import './tracing/start-tracing';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap/create-app';
import { closeOnSignals } from './bootstrap/shutdown';
import { ConfigError, loadAppConfig } from './config/app.config';
import { describeDatabase } from './config/database-url';

async function main(): Promise<void> {
  const config = loadAppConfig();
  const app = await createApp(config);
  await app.listen(config.port);
  const logger = new Logger('Bootstrap');
  closeOnSignals(app, logger, config.scale.shutdownTimeoutMs);
  // The server listens on every interface; localhost is the address a person can click.
  const { port } = app.getHttpServer().address() as { port: number };
  const url = `http://localhost:${port}`;
  logger.log(`Listening on ${url} with ${describeDatabase(config.database)}`);
  logger.log(`Swagger UI: ${url}/docs`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(
      `monitor-service failed to start: ${(error as Error).stack ?? String(error)}\n`,
    );
  }
  process.exit(1);
});
