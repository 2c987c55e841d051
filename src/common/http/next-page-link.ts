import { Request } from 'express';

/**
 * The Link header value (RFC 8288) for the page after this one: the same path and parameters with
 * the new cursor. A key passed in the query is left out, so it is not echoed into headers that
 * proxies and clients tend to log.
 */
export function nextPageLink(request: Request, cursor: string): string {
  const url = new URL(request.originalUrl, 'http://service.invalid');
  url.searchParams.delete('x-api-key');
  url.searchParams.set('cursor', cursor);
  return `<${url.pathname}${url.search}>; rel="next"`;
}
