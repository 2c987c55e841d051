import { ThrottlerModuleOptions } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { connectSharedRedis } from '../common/redis/shared-redis';
import { AppConfig } from '../config/app.config';

/**
 * @nestjs/throttler's options: only its storage is used (RequestThrottle counts through it).
 * With REDIS_URL the counters live in Redis, shared by every replica (see connectSharedRedis).
 */
export async function throttlerOptions(config: AppConfig): Promise<ThrottlerModuleOptions> {
  const { redisUrl, redisKeyPrefix } = config.throttling;
  if (redisUrl === undefined) {
    return { throttlers: [] };
  }
  const redis = await connectSharedRedis(redisUrl, redisKeyPrefix);
  // The storage disconnects only the clients it made itself.
  const storage = new ThrottlerStorageRedisService(redis);
  storage.disconnectRequired = true;
  return { throttlers: [], storage };
}
