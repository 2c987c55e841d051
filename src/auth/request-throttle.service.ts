import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { APP_CONFIG } from '../config/app-config.token';
import { AppConfig } from '../config/app.config';
import { hashApiKey, isApiKeyFormat } from './api-key-format';
import { TooManyRequestsError } from './errors/too-many-requests.error';

const MINUTE_MS = 60_000;

/** Addresses blocked at once at most in memory; past it the list starts over (Redis still counts). */
const MAX_REMEMBERED_BLOCKS = 100_000;

/** Wrong keys remembered at once at most (64-character digests); past it the oldest are forgotten. */
const MAX_REMEMBERED_WRONG_KEYS = 10_000;

/**
 * Brute-force protection and per-key rates, counted in @nestjs/throttler's storage: in process
 * memory, or in Redis (REDIS_URL) shared by every replica.
 *
 * A client address past AUTH_FAILURES_PER_MINUTE failed authentications is blocked for a minute:
 * the keys it sends that turn out wrong get 429 instead of 403, are no longer counted, and a wrong
 * key sent again costs no database lookup. A valid key is still looked up and passes: behind a
 * proxy or a NAT every client shares one address, and one client's wrong keys must not lock the
 * others out. This process remembers the block; another replica learns of it at the address's
 * next failure there. The storage failing never fails a request: the limits then simply do not
 * apply.
 */
@Injectable()
export class RequestThrottle implements OnModuleDestroy {
  private readonly logger = new Logger('Throttle');
  private readonly blockedUntil = new Map<string, number>();
  /** Digests of keys that failed lately, with when they are forgotten; oldest first. */
  private readonly wrongKeys = new Map<string, number>();

  constructor(
    @Inject(ThrottlerStorage) private readonly storage: ThrottlerStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The storage is an option value, not a provider: Nest would not close its Redis client. */
  onModuleDestroy(): void {
    (this.storage as Partial<OnModuleDestroy>).onModuleDestroy?.();
  }

  /**
   * Refuses, before any lookup, a key that failed in the last minute when it comes again from an
   * address blocked for failed authentications. Any other key goes on to be looked up, even from
   * a blocked address.
   */
  refuseIfKnownWrong(address: string, key: string): void {
    const left = this.blockLeft(address);
    // A malformed key is never remembered: it is refused without a lookup anyway.
    if (left === undefined || !isApiKeyFormat(key)) {
      return;
    }
    const digest = hashApiKey(key);
    const forgetAt = this.wrongKeys.get(digest);
    if (forgetAt === undefined) {
      return;
    }
    if (forgetAt <= Date.now()) {
      this.wrongKeys.delete(digest);
      return;
    }
    throw this.authFailures(left);
  }

  /**
   * Counts a failed authentication. From a blocked address, or once the address is past its
   * limit, refuses it with 429 and remembers the key as wrong.
   */
  async recordFailure(address: string, key: string): Promise<void> {
    const left = this.blockLeft(address);
    if (left !== undefined) {
      this.rememberWrongKey(key);
      throw this.authFailures(left);
    }
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
      this.rememberWrongKey(key);
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

  /** Seconds left of the address's block, or undefined when it is not blocked. */
  private blockLeft(address: string): number | undefined {
    const until = this.blockedUntil.get(address);
    if (until === undefined) {
      return undefined;
    }
    const left = until - Date.now();
    if (left <= 0) {
      this.blockedUntil.delete(address);
      return undefined;
    }
    return left / 1000;
  }

  /** Only well-formed keys: the others cost no lookup, so there is nothing to save on them. */
  private rememberWrongKey(key: string): void {
    if (!isApiKeyFormat(key)) {
      return;
    }
    const digest = hashApiKey(key);
    this.wrongKeys.delete(digest);
    if (this.wrongKeys.size >= MAX_REMEMBERED_WRONG_KEYS) {
      const oldest = this.wrongKeys.keys().next();
      if (!oldest.done) {
        this.wrongKeys.delete(oldest.value);
      }
    }
    this.wrongKeys.set(digest, Date.now() + MINUTE_MS);
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
