import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from '../app.module';
import { jsonBodyParser } from '../common/http/json-body.middleware';
import { malformedPathMiddleware } from '../common/http/malformed-path.middleware';
import { AppConfig } from '../config/app.config';
import { SqliteProcessLock } from '../database/sqlite-process-lock';
import { setupOpenApi } from '../openapi/openapi';
import { setupObservability } from './observability';
import { setupProxiesAndCors } from './proxies-and-cors';
import { applyHttpLimits } from './http-limits';
import { applySecurityHeaders } from './security-headers';

/** Builds the configured HTTP application; main.ts and the e2e tests both start it from here. */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  // Before anything else: a second service process on the same SQLite file is refused here,
  // with a sentence and nothing started.
  const sqliteClaim = SqliteProcessLock.claim(config.database);
  let app: NestExpressApplication;
  try {
    app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, sqliteClaim), {
      bodyParser: false,
      // Held until the pino logger takes over, so that even the first lines are JSON.
      bufferLogs: true,
    });
  } catch (error) {
    sqliteClaim?.release();
    throw error;
  }
  setupObservability(app, config);
  setupProxiesAndCors(app, config);
  app.disable('x-powered-by');
  // Express's automatic weak ETags would land on error answers too; the routes set their own.
  app.set('etag', false);
  applyHttpLimits(app.getHttpServer(), config.http);
  applySecurityHeaders(app);
  app.use(malformedPathMiddleware());
  app.use(
    jsonBodyParser({ limitBytes: config.bodyLimitBytes, maxDepth: config.http.jsonMaxDepth }),
  );
  setupOpenApi(app);
  return app;
}
