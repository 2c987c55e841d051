import pino, { DestinationStream, Logger, LoggerOptions } from 'pino';
import pinoPretty from 'pino-pretty';
import { AppConfig } from '../config/app.config';
import { traceLogFields } from '../tracing/trace-log-fields';
import { tracingStarted } from '../tracing/tracing-state';
import { scrubApiKeys } from './scrub-api-keys';

/** Where a key could show up if a request or its headers were ever logged whole. */
const REDACTED_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
];

/**
 * Every line as written, with anything shaped like an API key scrubbed: the message, every field,
 * an error's stack, whoever wrote it (the request log, Nest, TypeORM, a validation message that
 * echoes input). Done on the serialized line, so that no field can be missed; see scrubApiKeys
 * for its cost.
 */
function scrubbingKeys(destination: DestinationStream): DestinationStream {
  return { write: (line: string) => destination.write(scrubApiKeys(line)) };
}

/**
 * The process's pino logger: JSON lines (ISO-8601 UTC times, level names) for log collectors, or
 * one coloured line per entry for a person at a terminal. Writes synchronously, so the lines
 * written just before process.exit are not lost. No line carries an API key (scrubbingKeys).
 */
export function createRootLogger(config: AppConfig, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.logLevel,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    // With tracing on, a line written while a request is handled names its trace and span.
    mixin: tracingStarted() ? traceLogFields : undefined,
  };
  if (config.logFormat === 'pretty') {
    const stream =
      destination ??
      pinoPretty({
        sync: true,
        singleLine: true,
        colorize: Boolean(process.stdout.isTTY),
        translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o',
        // The message already says method, route, status and time.
        ignore: 'pid,hostname,context,method,route,res,responseTime',
        messageFormat: '{if context}[{context}] {end}{msg}',
      });
    return pino(options, scrubbingKeys(stream));
  }
  return pino(
    { ...options, formatters: { level: (label) => ({ level: label }) } },
    scrubbingKeys(destination ?? pino.destination({ fd: 1, sync: true })),
  );
}
