import { readHttpLimits } from './http-limits.config';

describe('readHttpLimits: the drain after an early answer', () => {
  it('reads at most 16 MiB for at most 10 s by default', () => {
    const problems: string[] = [];
    const limits = readHttpLimits({}, problems);
    expect(problems).toEqual([]);
    expect(limits).toMatchObject({ drainLimitBytes: 16 * 1024 * 1024, drainTimeoutMs: 10_000 });
  });

  it('reads DRAIN_LIMIT_BYTES and DRAIN_TIMEOUT (seconds, fractions allowed)', () => {
    const problems: string[] = [];
    const limits = readHttpLimits({ DRAIN_LIMIT_BYTES: '65536', DRAIN_TIMEOUT: '2.5' }, problems);
    expect(problems).toEqual([]);
    expect(limits).toMatchObject({ drainLimitBytes: 65_536, drainTimeoutMs: 2500 });
  });

  it('refuses values that are not a size or a duration, each with its reason', () => {
    for (const [bytes, seconds] of [
      ['0', '0'],
      ['1MiB', 'later'],
      ['2147483648', '-1'],
    ]) {
      const problems: string[] = [];
      readHttpLimits({ DRAIN_LIMIT_BYTES: bytes, DRAIN_TIMEOUT: seconds }, problems);
      expect(problems).toEqual([
        `DRAIN_LIMIT_BYTES must be a whole number from 1 to 1073741824, got "${bytes}".`,
        `DRAIN_TIMEOUT must be a number of seconds above 0 and at most 86400, got "${seconds}".`,
      ]);
    }
  });
});
