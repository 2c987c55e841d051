/** The HTTP server's limits and timeouts (issue 8), read from the environment. */
export interface HttpLimits {
  /** Deepest nesting of arrays and objects a JSON body may have (JSON_MAX_DEPTH). */
  jsonMaxDepth: number;
  /** Time to receive a request's headers, from its first byte (HEADERS_TIMEOUT). */
  headersTimeoutMs: number;
  /** Time to receive a whole request, headers and body (REQUEST_TIMEOUT). */
  requestTimeoutMs: number;
  /** Silence tolerated from a client that has not finished sending (IDLE_TIMEOUT). */
  idleTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests (KEEP_ALIVE_TIMEOUT). */
  keepAliveTimeoutMs: number;
  /** Open connections at most; further ones are closed at once (MAX_CONNECTIONS). */
  maxConnections: number;
  /**
   * After an answer sent before the request's body was read (a 403, 413 or 415), the most of
   * the body read and thrown away so that a client writing it all first still gets the answer
   * (DRAIN_LIMIT_BYTES); a body declared longer is not read, and the connection is closed.
   */
  drainLimitBytes: number;
  /** How long that reading may take before the connection is cut (DRAIN_TIMEOUT). */
  drainTimeoutMs: number;
}

export const DEFAULT_BODY_LIMIT_BYTES = 10 * 1024 * 1024;

/**
 * Above the default body limit, so that a client whose body is somewhat over it sees the 413
 * rather than a broken pipe. Bytes read to be discarded cost no memory, and a valid request
 * already makes the service read (and keep) 10 MiB.
 */
export const DEFAULT_DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/** A positive whole number from the environment, or the default; a bad value adds a problem. */
export function readCount(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  problems: string[],
  max = Number.MAX_SAFE_INTEGER,
): number {
  const text = env[name];
  if (text === undefined || text === '') {
    return fallback;
  }
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1 || value > max) {
    problems.push(`${name} must be a whole number from 1 to ${max}, got "${text}".`);
    return fallback;
  }
  return value;
}

/** A duration in seconds (fractions allowed) from the environment, in milliseconds. */
export function readSeconds(
  env: NodeJS.ProcessEnv,
  name: string,
  fallbackSeconds: number,
  problems: string[],
): number {
  const text = env[name];
  if (text === undefined || text === '') {
    return fallbackSeconds * 1000;
  }
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(value > 0) || value > 86_400) {
    problems.push(`${name} must be a number of seconds above 0 and at most 86400, got "${text}".`);
    return fallbackSeconds * 1000;
  }
  return Math.round(value * 1000);
}

export function readBodyLimitBytes(env: NodeJS.ProcessEnv, problems: string[]): number {
  return readCount(env, 'BODY_LIMIT_BYTES', DEFAULT_BODY_LIMIT_BYTES, problems, 1024 ** 3);
}

export function readHttpLimits(env: NodeJS.ProcessEnv, problems: string[]): HttpLimits {
  const limits: HttpLimits = {
    jsonMaxDepth: readCount(env, 'JSON_MAX_DEPTH', 64, problems, 1000),
    headersTimeoutMs: readSeconds(env, 'HEADERS_TIMEOUT', 10, problems),
    requestTimeoutMs: readSeconds(env, 'REQUEST_TIMEOUT', 30, problems),
    idleTimeoutMs: readSeconds(env, 'IDLE_TIMEOUT', 10, problems),
    keepAliveTimeoutMs: readSeconds(env, 'KEEP_ALIVE_TIMEOUT', 65, problems),
    maxConnections: readCount(env, 'MAX_CONNECTIONS', 1000, problems),
    drainLimitBytes: readCount(
      env,
      'DRAIN_LIMIT_BYTES',
      DEFAULT_DRAIN_LIMIT_BYTES,
      problems,
      1024 ** 3,
    ),
    // Well under REQUEST_TIMEOUT's 30 s: a refused request holds its connection no longer.
    drainTimeoutMs: readSeconds(env, 'DRAIN_TIMEOUT', 10, problems),
  };
  // Node refuses a header deadline later than the whole request's.
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    problems.push('HEADERS_TIMEOUT must not be longer than REQUEST_TIMEOUT.');
  }
  return limits;
}
