import { ThrottlerStorageService } from '@nestjs/throttler';
import { loadAppConfig } from '../config/app.config';
import { generateApiKey } from './api-key-format';
import { TooManyRequestsError } from './errors/too-many-requests.error';
import { RequestThrottle } from './request-throttle.service';

const ADDRESS = '203.0.113.7';

describe('RequestThrottle', () => {
  let storage: ThrottlerStorageService;
  let throttle: RequestThrottle;

  beforeEach(() => {
    jest.useFakeTimers();
    storage = new ThrottlerStorageService();
    throttle = new RequestThrottle(storage, loadAppConfig({ AUTH_FAILURES_PER_MINUTE: '2' }));
  });

  afterEach(() => {
    storage.onApplicationShutdown();
    jest.useRealTimers();
  });

  /** Blocks ADDRESS: two failures allowed, the third refused with 429. */
  async function block(wrongKey: string): Promise<void> {
    await throttle.recordFailure(ADDRESS, wrongKey);
    await throttle.recordFailure(ADDRESS, wrongKey);
    await expect(throttle.recordFailure(ADDRESS, wrongKey)).rejects.toBeInstanceOf(
      TooManyRequestsError,
    );
  }

  it('refuses a wrong key sent again from a blocked address before any lookup, and no other key', async () => {
    const wrong = generateApiKey();
    expect(() => throttle.refuseIfKnownWrong(ADDRESS, wrong)).not.toThrow();
    await block(wrong);

    expect(() => throttle.refuseIfKnownWrong(ADDRESS, wrong)).toThrow(TooManyRequestsError);
    // A key never refused is looked up (it may be valid), and another address is not blocked.
    expect(() => throttle.refuseIfKnownWrong(ADDRESS, generateApiKey())).not.toThrow();
    expect(() => throttle.refuseIfKnownWrong('203.0.113.8', wrong)).not.toThrow();
  });

  it('refuses further wrong keys from a blocked address without counting them, and remembers them', async () => {
    await block(generateApiKey());
    const next = generateApiKey();
    await expect(throttle.recordFailure(ADDRESS, next)).rejects.toThrow(
      /^Too many failed authentications: try again in 60 seconds$/,
    );
    expect(() => throttle.refuseIfKnownWrong(ADDRESS, next)).toThrow(TooManyRequestsError);
  });

  it('forgets the block and the wrong keys after a minute', async () => {
    const wrong = generateApiKey();
    await block(wrong);
    jest.advanceTimersByTime(60_001);

    expect(() => throttle.refuseIfKnownWrong(ADDRESS, wrong)).not.toThrow();
    // Counted anew: a 403 again, not a 429.
    await expect(throttle.recordFailure(ADDRESS, wrong)).resolves.toBeUndefined();
  });

  it('remembers 10,000 wrong keys at most, forgetting the oldest first', async () => {
    const first = generateApiKey();
    await block(first);
    const later = Array.from({ length: 10_000 }, generateApiKey);
    const refused = await Promise.allSettled(
      later.map((key) => throttle.recordFailure(ADDRESS, key)),
    );
    expect(refused.every((outcome) => outcome.status === 'rejected')).toBe(true);

    expect(() => throttle.refuseIfKnownWrong(ADDRESS, first)).not.toThrow();
    expect(() => throttle.refuseIfKnownWrong(ADDRESS, later[0])).toThrow(TooManyRequestsError);
    expect(() => throttle.refuseIfKnownWrong(ADDRESS, later[9_999])).toThrow(TooManyRequestsError);
  });
});
