import { Request } from 'express';

/**
 * The route that answered, as a template in OpenAPI's words
 * (`/api/v1/monitor/messages/{message_id}`), or undefined when no route matched. Logs and metrics
 * use it instead of the raw path, so ids never multiply their labels.
 */
export function routeTemplate(request: Request): string | undefined {
  const route = request.route as { path?: unknown } | undefined;
  if (typeof route?.path !== 'string') {
    return undefined;
  }
  return `${request.baseUrl}${route.path}`.replace(/:(\w+)/g, '{$1}');
}
