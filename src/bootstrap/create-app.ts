import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from '../app.module';
import { jsonBodyParser } from '../common/http/json-body.middleware';
import { AppConfig } from '../config/app.config';
import { setupOpenApi } from '../openapi/openapi';
import { nestLogLevels } from './log-levels';

/** Builds the configured HTTP application; main.ts and the e2e tests both start it from here. */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: new ConsoleLogger({ logLevels: nestLogLevels(config.logLevel), prefix: 'monitor' }),
  });
  app.disable('x-powered-by');
  // Express's automatic weak ETags would land on error answers too; the routes set their own.
  app.set('etag', false);
  app.use(jsonBodyParser(config.bodyLimitBytes));
  setupOpenApi(app);
  return app;
}
