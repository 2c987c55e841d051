import type { Request } from 'express';

/** OTLP/HTTP's trace export path, outside /api/v1 (the controller's path). */
export const OTLP_TRACES_PATH = 'v1/traces';

/**
 * Whether a request is addressed to the OTLP receiver, matched as Express routes it (any case, an
 * optional trailing slash). Its refusals are a google.rpc.Status wherever they are decided: in
 * its route (OtlpExceptionFilter) or before it (ApiExceptionFilter hands them over).
 */
export function isOtlpRequest(request: Request): boolean {
  return request.path.replace(/\/$/, '').toLowerCase() === `/${OTLP_TRACES_PATH}`;
}
