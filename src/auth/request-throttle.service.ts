import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { APP_CONFIG } from '../config/app-config.token';
import { AppConfig } from '../config/app.config';
import { TooManyRequestsError } from './errors/too-many-requests.error';

const MINUTE_MS = 60_000;

/** Addresses blocked at once at most in memory; past it the list starts over (Redis still counts). */
const MAX_REMEMBERED_BLOCKS = 100_000;

/**
 * Brute-force protection and per-key rates, counted in @nestjs/throttler's storage: in process
 * memory, or in Redis (REDIS_URL) shared by every replica.
 *
 * A client address past AUTH_FAILURES_PER_MINUTE failed authentications is refused with 429 for a
 * minute, whatever key it sends, without a database lookup: this process remembers the block, and
 * another replica learns of it at the address's next failure there. The storage failing never
 * fails a request: the limits then simply do not apply.
 */
@Injectable()
export class RequestThrottle implements OnModuleDestroy {
  private readonly logger = new Logger('Throttle');
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    @Inject(ThrottlerStorage) private readonly storage: ThrottlerStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The storage is an option value, not a provider: Nest would not close its Redis client. */
  onModuleDestroy(): void {
    (this.storage as Partial<OnModuleDestroy>).onModuleDestroy?.();
  }

  /** Refuses an address that is blocked for failed authentications. */
  refuseIfBlocked(address: string): void {
    const until = this.blockedUntil.get(address);
    if (until === undefined) {
      return;
    }
    const left = until - Date.now();
    if (left <= 0) {
      this.blockedUntil.delete(address);
      return;
    }
    throw this.authFailures(left / 1000);
  }

  /** Counts a failed authentication; refuses it with 429 once the address is past its limit. */
  async recordFailure(address: string): Promise<void> {
    const record = await this.increment(
      `auth-failure:${address}`,
      this.config.throttling.authFailuresPerMinute,
      'auth',
    );
    if (record?.isBlocked) {
      if (this.blockedUntil.size >= MAX_REMEMBERED_BLOCKS) {
        this.blockedUntil.clear();
      }
      this.blockedUntil.set(address, Date.now() + record.timeToBlockExpire * 1000);
      throw this.authFailures(record.timeToBlockExpire);
    }
  }

  /** Counts a request made with a key; 429 past RATE_LIMIT_PER_MINUTE (when it is set). */
  async countRequest(apiKeyId: string): Promise<void> {
    const limit = this.config.throttling.rateLimitPerMinute;
    if (limit === undefined) {
      return;
    }
    const record = await this.increment(`key:${apiKeyId}`, limit, 'rate');
    if (record?.isBlocked) {
      throw new TooManyRequestsError('Rate limit exceeded', record.timeToBlockExpire);
    }
  }

  private authFailures(retryAfterSeconds: number): TooManyRequestsError {
    return new TooManyRequestsError('Too many failed authentications', retryAfterSeconds);
  }

  private async increment(key: string, limit: number, name: string) {
    try {
      return await this.storage.increment(key, MINUTE_MS, limit, MINUTE_MS, name);
    } catch (error) {
      this.logger.warn(`throttling storage unavailable, not counting: ${String(error)}`);
      return undefined;
    }
  }
}
