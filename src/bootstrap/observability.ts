import { NestExpressApplication } from '@nestjs/platform-express';
import { Express } from 'express';
import { Logger } from 'pino';
import { AppConfig } from '../config/app.config';
import { countResponseBytes } from '../logging/response-bytes';
import { requestLogging } from '../logging/request-logging';
import { ROOT_LOGGER } from '../logging/root-logger.token';
import { ServiceLogger } from '../logging/service.logger';
import { ServiceMetrics } from '../metrics/service-metrics';

/**
 * Logs, request ids and metrics for every request, mounted first so that they see all of them:
 * the API, the health probes, Swagger UI, /metrics and unknown paths alike.
 */
export function setupObservability(app: NestExpressApplication, config: AppConfig): void {
  app.useLogger(app.get(ServiceLogger));
  const metrics = app.get(ServiceMetrics);
  app.use(countResponseBytes);
  app.use(requestLogging(app.get<Logger>(ROOT_LOGGER)));
  app.use(metrics.observeRequests);
  if (config.metricsPort === undefined) {
    const express: Express = app.getHttpAdapter().getInstance();
    express.get('/metrics', (request, response) => void metrics.serve(request, response));
  }
}
