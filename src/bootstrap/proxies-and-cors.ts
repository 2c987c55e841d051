import { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig } from '../config/app.config';

/**
 * TRUSTED_PROXIES and CORS_ORIGINS. Behind a trusted proxy, Express takes the client's address
 * (X-Forwarded-For), scheme (X-Forwarded-Proto) and host (X-Forwarded-Host) from its headers;
 * from anyone else they are ignored. With CORS on, a browser page from an allowed origin may call
 * the API with its key, and preflights are answered 204.
 */
export function setupProxiesAndCors(app: NestExpressApplication, config: AppConfig): void {
  app.set('trust proxy', config.trustedProxies);
  if (config.corsOrigins.length === 0) {
    return;
  }
  app.enableCors({
    origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['content-type', 'x-api-key', 'authorization', 'if-match', 'x-request-id'],
    exposedHeaders: ['etag', 'link', 'x-next-cursor', 'x-request-id', 'retry-after'],
    maxAge: 600,
  });
}
