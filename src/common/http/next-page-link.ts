import { Request } from 'express';

/** A path prefix a proxy may announce: one or more plain path segments. */
const SAFE_PREFIX = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/;

/** Whether the request came straight from a proxy listed in TRUSTED_PROXIES. */
function fromTrustedProxy(request: Request): boolean {
  const trust = request.app.get('trust proxy fn') as
    ((address: string | undefined, hop: number) => boolean) | undefined;
  return trust?.(request.socket.remoteAddress, 0) === true;
}

/**
 * Where the client reached this service, as far as a trusted proxy says: its scheme and host
 * (when it forwarded either) and its path prefix (X-Forwarded-Prefix). Empty when nobody
 * trusted says anything, so the link stays relative.
 */
function forwardedBase(request: Request): string {
  if (!fromTrustedProxy(request)) {
    return '';
  }
  const prefix = (request.get('x-forwarded-prefix') ?? '').split(',')[0].trim().replace(/\/+$/, '');
  const base = SAFE_PREFIX.test(prefix) ? prefix : '';
  if (request.get('x-forwarded-host') || request.get('x-forwarded-proto')) {
    // Express reads X-Forwarded-Proto and X-Forwarded-Host itself for a trusted proxy.
    return `${request.protocol}://${request.host}${base}`;
  }
  return base;
}

/**
 * The Link header value (RFC 8288) for the page after this one: the same path and parameters with
 * the new cursor. A key passed in the query is left out, so it is not echoed into headers that
 * proxies and clients tend to log.
 */
export function nextPageLink(request: Request, cursor: string): string {
  const url = new URL(request.originalUrl, 'http://service.invalid');
  url.searchParams.delete('x-api-key');
  url.searchParams.set('cursor', cursor);
  return `<${forwardedBase(request)}${url.pathname}${url.search}>; rel="next"`;
}
