import { readCount } from './http-limits.config';

/** Brute-force protection and request rates (issue 8). */
export interface ThrottlingConfig {
  /** Failed authentications one client address may make a minute before it gets 429s. */
  authFailuresPerMinute: number;
  /** Requests one API key may make a minute; undefined: no limit. */
  rateLimitPerMinute: number | undefined;
  /** Redis shared by every replica for the counters; undefined: each process counts alone. */
  redisUrl: string | undefined;
  /** Prefix of every Redis key the counters use. */
  redisKeyPrefix: string;
}

export function readThrottlingConfig(env: NodeJS.ProcessEnv, problems: string[]): ThrottlingConfig {
  const redisUrl = env.REDIS_URL || undefined;
  if (redisUrl !== undefined) {
    let protocol = '';
    try {
      protocol = new URL(redisUrl).protocol;
    } catch {
      // Not a URL at all.
    }
    if (protocol !== 'redis:' && protocol !== 'rediss:') {
      problems.push('REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379.');
    }
  }
  return {
    authFailuresPerMinute: readCount(env, 'AUTH_FAILURES_PER_MINUTE', 20, problems),
    rateLimitPerMinute:
      env.RATE_LIMIT_PER_MINUTE && env.RATE_LIMIT_PER_MINUTE !== '0'
        ? readCount(env, 'RATE_LIMIT_PER_MINUTE', 0, problems)
        : undefined,
    redisUrl,
    redisKeyPrefix: env.REDIS_KEY_PREFIX || 'monitor:throttle:',
  };
}
