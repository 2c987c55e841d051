import { INestApplication } from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

/**
 * The Content-Security-Policy: what Swagger UI at /docs needs (its scripts and stylesheet from
 * this origin, the inline <style> blocks of its page, data: icons, requests to this origin) and
 * nothing else. No framing anywhere.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  // The service is often reached over plain HTTP inside a network; upgrading would break /docs.
  upgradeInsecureRequests: null,
};

/**
 * Security headers on every answer (helmet: nosniff, a CSP, no framing, no referrer), and
 * `Cache-Control: no-store` on every /api/v1 answer, errors included: they hold users' data, and
 * the answer to POST /api_key/ a secret.
 */
export function applySecurityHeaders(app: INestApplication): void {
  app.use(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  app.use('/api/v1', (_request: Request, response: Response, next: NextFunction) => {
    response.setHeader('Cache-Control', 'no-store');
    next();
  });
}
