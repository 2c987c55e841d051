import { tracingRequested } from './tracing-state';

/*
 * Imported first by main.ts: the instrumentations hook `require`, so they must be in place before
 * Express, http and pg are loaded. When no OTLP endpoint is set the SDK is not even loaded (it
 * costs a third of a second and some megabytes at start), and nothing is traced.
 */
if (tracingRequested()) {
  // A lazy require, not an import: an import would load the SDK whether tracing is on or not.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startTracingSdk } = require('./tracing-sdk') as typeof import('./tracing-sdk');
  startTracingSdk();
}
