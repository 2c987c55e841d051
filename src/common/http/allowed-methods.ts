import { Request } from 'express';

/** What this file reads of Express's router: its layers, and the routes they hold. */
interface RouterLayer {
  match(path: string): unknown;
  route?: { methods: Record<string, boolean | undefined> };
}

/**
 * The methods the application's routes answer at the request's path, e.g. `['GET', 'HEAD']`;
 * empty when no route has this path. Lets a wrong method be told apart from an unknown path
 * (405 rather than 404, as FastAPI answers).
 */
export function allowedMethods(request: Request): string[] {
  const stack = (request.app.router as unknown as { stack?: RouterLayer[] }).stack ?? [];
  const methods = new Set<string>();
  for (const layer of stack) {
    if (!layer.route || !matches(layer, request.path)) {
      continue;
    }
    for (const [method, handled] of Object.entries(layer.route.methods)) {
      if (handled && method !== '_all') {
        methods.add(method.toUpperCase());
      }
    }
  }
  if (methods.has('GET')) {
    methods.add('HEAD');
  }
  return [...methods];
}

function matches(layer: RouterLayer, path: string): boolean {
  try {
    return Boolean(layer.match(path));
  } catch {
    // A malformed percent-encoding in a parameter: no route can take this path.
    return false;
  }
}
