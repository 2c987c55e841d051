import Redis from 'ioredis';

/**
 * A client of the Redis that every instance of the service shares (REDIS_URL), for the throttle's
 * counters and the read replicas' write positions. It fails fast instead of queueing while Redis
 * is away, so that an outage costs requests no time: each caller decides what a failed command
 * means. Connected before it is returned if Redis answers within 2 s; if not, the service starts
 * anyway and the client reconnects by itself.
 */
export async function connectSharedRedis(url: string, keyPrefix: string): Promise<Redis> {
  const redis = new Redis(url, {
    keyPrefix,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1000,
  });
  // Errors are reported by the failing command.
  redis.on('error', () => undefined);
  await Promise.race([
    redis.connect().catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, 2000).unref()),
  ]);
  return redis;
}
