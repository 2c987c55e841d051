import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { withCaller } from './request-caller';
import { WritePositions } from './write-positions';

/** A primary whose position the test moves, and that counts the position queries. */
class FakePrimary {
  position = 0x1_0000_0000n;
  queries = 0;
  private pending: (() => void)[] = [];
  /** While held, position queries wait for `release`. */
  held = false;

  read = (): Promise<bigint> => {
    this.queries += 1;
    const answer = () => this.position;
    if (!this.held) {
      return Promise.resolve(answer());
    }
    return new Promise((resolve) => this.pending.push(() => resolve(answer())));
  };

  release(): void {
    this.held = false;
    for (const resume of this.pending.splice(0)) {
      resume();
    }
  }
}

const commitBy = (positions: WritePositions, apiKeyId: string | undefined) =>
  withCaller({ apiKeyId }, () => positions.afterCommit());

describe('WritePositions: read-your-writes per API key', () => {
  it('remembers the primary position after a key commits, for that key only', async () => {
    const primary = new FakePrimary();
    const positions = new WritePositions({ primaryPosition: primary.read, keepMs: 60_000 });
    await commitBy(positions, 'key-a');
    expect(await positions.required('key-a')).toBe(0x1_0000_0000n);
    expect(await positions.required('key-b')).toBe(0n);
    expect(await positions.required(undefined)).toBe(0n);
  });

  it('asks nothing outside a request or on a public route (no key)', async () => {
    const primary = new FakePrimary();
    const positions = new WritePositions({ primaryPosition: primary.read, keepMs: 60_000 });
    await positions.afterCommit();
    await commitBy(positions, undefined);
    expect(primary.queries).toBe(0);
  });

  it('keeps the latest position of a key, and forgets it after keepMs', async () => {
    const primary = new FakePrimary();
    const positions = new WritePositions({ primaryPosition: primary.read, keepMs: 50 });
    await commitBy(positions, 'key-a');
    primary.position = 0x2_0000_0000n;
    await commitBy(positions, 'key-a');
    expect(await positions.required('key-a')).toBe(0x2_0000_0000n);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await positions.required('key-a')).toBe(0n);
  });

  it('runs one position query at a time; commits that end meanwhile share the next one, begun after them', async () => {
    const primary = new FakePrimary();
    const positions = new WritePositions({ primaryPosition: primary.read, keepMs: 60_000 });
    primary.held = true;
    const first = commitBy(positions, 'key-a');
    // These commit while the first query is out: its answer may precede them.
    primary.position = 0x3_0000_0000n;
    const others = [commitBy(positions, 'key-b'), commitBy(positions, 'key-c')];
    expect(primary.queries).toBe(1);
    primary.release();
    await first;
    await Promise.all(others);
    expect(primary.queries).toBe(2);
    expect(await positions.required('key-a')).toBe(0x3_0000_0000n);
    expect(await positions.required('key-b')).toBe(0x3_0000_0000n);
    expect(await positions.required('key-c')).toBe(0x3_0000_0000n);
  });

  it('sends a key to the primary when the position cannot be read after its write', async () => {
    const positions = new WritePositions({
      primaryPosition: () => Promise.reject(new Error('connection lost')),
      keepMs: 60_000,
    });
    await expect(commitBy(positions, 'key-a')).resolves.toBeUndefined();
    expect(await positions.required('key-a')).toBe((1n << 64n) - 1n);
  });

  it('forgets the read target a request chose before its write', async () => {
    const primary = new FakePrimary();
    const positions = new WritePositions({ primaryPosition: primary.read, keepMs: 60_000 });
    const caller = { apiKeyId: 'key-a', readTarget: 'primary' as const };
    await withCaller(caller, () => positions.afterCommit());
    expect(caller.readTarget).toBeUndefined();
  });

  describe('with Redis (REDIS_URL), shared by instances', () => {
    let redis: Redis;
    let prefix: string;
    beforeEach(() => {
      prefix = `monitor-unit:${randomBytes(4).toString('hex')}:`;
      redis = new Redis('redis://127.0.0.1:6379', { keyPrefix: prefix, maxRetriesPerRequest: 1 });
    });
    afterEach(async () => {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) {
        await redis.del(...keys.map((key) => key.slice(prefix.length)));
      }
      redis.disconnect();
    });

    it("tells one instance of a key's write through another, and never moves a key's position back", async () => {
      const primary = new FakePrimary();
      const writer = new WritePositions({ primaryPosition: primary.read, keepMs: 60_000, redis });
      const otherWriter = new WritePositions({
        primaryPosition: () => Promise.resolve(0x5n),
        keepMs: 60_000,
        redis,
      });
      const reader = new WritePositions({ primaryPosition: primary.read, keepMs: 60_000, redis });
      await commitBy(writer, 'key-a');
      expect(await reader.required('key-a')).toBe(0x1_0000_0000n);
      // An older position recorded later (a slower instance) does not win.
      await commitBy(otherWriter, 'key-a');
      expect(await reader.required('key-a')).toBe(0x1_0000_0000n);
      expect(await redis.pttl('read-position:key-a')).toBeGreaterThan(50_000);
    });

    it('sends reads to the primary while Redis cannot be asked', async () => {
      const broken = new Redis('redis://127.0.0.1:1', {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
      });
      broken.on('error', () => undefined);
      const positions = new WritePositions({
        primaryPosition: () => Promise.resolve(1n),
        keepMs: 60_000,
        redis: broken,
      });
      expect(await positions.required('key-a')).toBe((1n << 64n) - 1n);
      broken.disconnect();
    });
  });
});
