import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { currentCaller } from './request-caller';
import { lsnKey } from './lsn';

/** Keys remembered in this process at most; the oldest are forgotten first (they expire anyway). */
const MAX_REMEMBERED_KEYS = 100_000;

/** A position no replica reaches: the key reads from the primary until it expires. */
const PRIMARY_ONLY = (1n << 64n) - 1n;

/** Sets the key to the given position unless it already holds a later one (same fixed-width hex). */
const REMEMBER_LATEST = `
local current = redis.call('GET', KEYS[1])
if (not current) or current < ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1`;

export interface WritePositionsOptions {
  /** Reads the primary's WAL insert position (called after a commit). */
  primaryPosition: () => Promise<bigint>;
  /**
   * How long a key's position is kept. Past it, every replica that still gets reads (at most the
   * maximum lag behind) has replayed it, so forgetting it changes nothing.
   */
  keepMs: number;
  /** With REDIS_URL: shared by every replica of the service, so that the next request may land anywhere. */
  redis?: Redis;
}

/**
 * Read-your-writes, per API key: after a key's write commits, the primary's WAL position is
 * remembered for that key (here, and in Redis when there is one); a read by the key may then go
 * only to a replica that has replayed it (see ReplicaReads).
 */
export class WritePositions {
  private readonly logger = new Logger('ReadReplicas');
  private readonly positions = new Map<string, { lsn: bigint; until: number }>();
  /** Commits waiting for a position query that starts after they ended. */
  private readonly waiting: { resolve: (lsn: bigint) => void; reject: (error: unknown) => void }[] =
    [];
  private querying = false;

  constructor(private readonly options: WritePositionsOptions) {}

  /**
   * Called by TransactionRunner when a transaction has committed, before its caller answers:
   * remembers the primary's position for the request's key. One position query runs at a time;
   * the commits that end while it runs share the next one, which starts after all of them ended
   * (a position read before a commit ended could precede it). Never throws: the write is done; if
   * its position cannot be read, the key reads from the primary for a while.
   */
  async afterCommit(): Promise<void> {
    const caller = currentCaller();
    const apiKeyId = caller?.apiKeyId;
    if (apiKeyId === undefined) {
      return;
    }
    // A read after this write, in the same request, must not stay where an earlier one went.
    caller!.readTarget = undefined;
    let lsn: bigint;
    try {
      lsn = await this.positionFromNow();
    } catch (error) {
      this.logger.warn(
        `Could not read the primary's WAL position after a write (${(error as Error).message}); ` +
          'that key reads from the primary until its position expires.',
      );
      lsn = PRIMARY_ONLY;
    }
    await this.remember(apiKeyId, lsn);
  }

  /**
   * The position a read by this key needs a replica to have replayed: the latest of this
   * process's and Redis's. Redis unreachable: the primary (a position no replica reaches).
   */
  async required(apiKeyId: string | undefined): Promise<bigint> {
    if (apiKeyId === undefined) {
      return 0n;
    }
    const local = this.local(apiKeyId);
    const redis = this.options.redis;
    if (!redis) {
      return local;
    }
    try {
      const shared = await redis.get(redisKey(apiKeyId));
      const sharedLsn = shared === null ? 0n : BigInt(`0x${shared}`);
      return sharedLsn > local ? sharedLsn : local;
    } catch {
      return PRIMARY_ONLY;
    }
  }

  private local(apiKeyId: string): bigint {
    const entry = this.positions.get(apiKeyId);
    if (!entry) {
      return 0n;
    }
    if (entry.until < Date.now()) {
      this.positions.delete(apiKeyId);
      return 0n;
    }
    return entry.lsn;
  }

  private positionFromNow(): Promise<bigint> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.querying) {
        this.queryForWaiting();
      }
    });
  }

  private queryForWaiting(): void {
    const batch = this.waiting.splice(0);
    this.querying = true;
    const settle = (outcome: (waiter: (typeof batch)[number]) => void) => {
      batch.forEach(outcome);
      this.querying = false;
      if (this.waiting.length > 0) {
        this.queryForWaiting();
      }
    };
    this.options.primaryPosition().then(
      (lsn) => settle((waiter) => waiter.resolve(lsn)),
      (error: unknown) => settle((waiter) => waiter.reject(error)),
    );
  }

  private async remember(apiKeyId: string, lsn: bigint): Promise<void> {
    const previous = this.local(apiKeyId);
    const latest = lsn > previous ? lsn : previous;
    // Re-inserted, so that the map's order is the order of last writes.
    this.positions.delete(apiKeyId);
    this.positions.set(apiKeyId, { lsn: latest, until: Date.now() + this.options.keepMs });
    if (this.positions.size > MAX_REMEMBERED_KEYS) {
      this.positions.delete(this.positions.keys().next().value!);
    }
    const redis = this.options.redis;
    if (redis) {
      try {
        await redis.eval(
          REMEMBER_LATEST,
          1,
          redisKey(apiKeyId),
          lsnKey(latest),
          this.options.keepMs,
        );
      } catch (error) {
        this.logger.warn(
          `Could not share a write's position in Redis (${(error as Error).message}); ` +
            'a read by that key on another instance may not see the write until the replicas catch up.',
        );
      }
    }
  }
}

function redisKey(apiKeyId: string): string {
  return `read-position:${apiKeyId}`;
}
