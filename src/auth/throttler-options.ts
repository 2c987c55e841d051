import { ThrottlerModuleOptions } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import Redis from 'ioredis';
import { AppConfig } from '../config/app.config';

/**
 * @nestjs/throttler's options: only its storage is used (RequestThrottle counts through it).
 * With REDIS_URL the counters live in Redis, shared by every replica. The client fails fast
 * instead of queueing while Redis is away, so that a Redis outage costs requests no time.
 */
export async function throttlerOptions(config: AppConfig): Promise<ThrottlerModuleOptions> {
  const { redisUrl, redisKeyPrefix } = config.throttling;
  if (redisUrl === undefined) {
    return { throttlers: [] };
  }
  const redis = new Redis(redisUrl, {
    keyPrefix: redisKeyPrefix,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1000,
  });
  // Errors are reported by the failing command; the client reconnects by itself.
  redis.on('error', () => undefined);
  // Connected before the first request if Redis is there; if not, the service starts anyway.
  await Promise.race([
    redis.connect().catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, 2000).unref()),
  ]);
  // The storage disconnects only the clients it made itself.
  const storage = new ThrottlerStorageRedisService(redis);
  storage.disconnectRequired = true;
  return { throttlers: [], storage };
}
