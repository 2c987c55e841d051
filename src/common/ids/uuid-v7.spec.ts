import { uuidV7 as sharedUuidV7 } from './uuid-v7';

const FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The Unix milliseconds in the first 48 bits. */
const millisOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

/** A generator with no history: the module keeps the last millisecond and sequence it used. */
function freshUuidV7(): typeof sharedUuidV7 {
  let generator: typeof sharedUuidV7 | undefined;
  jest.isolateModules(() => {
    generator = jest.requireActual<{ uuidV7: typeof sharedUuidV7 }>('./uuid-v7').uuidV7;
  });
  return generator!;
}

describe('uuidV7', () => {
  it('is a lowercase hyphenated UUID with version 7 and the RFC 9562 variant', () => {
    for (let index = 0; index < 100; index += 1) {
      expect(sharedUuidV7()).toMatch(FORMAT);
    }
  });

  it('carries the given time in its first 48 bits', () => {
    const uuidV7 = freshUuidV7();
    const now = Date.UTC(2026, 10, 24, 13, 9, 0, 123);
    const id = uuidV7(now);
    expect(millisOf(id)).toBe(now);
    expect(id.slice(0, 8)).toBe(now.toString(16).padStart(12, '0').slice(0, 8));
  });

  it('defaults to the current time', () => {
    const uuidV7 = freshUuidV7();
    const before = Date.now();
    const id = uuidV7();
    const after = Date.now();
    expect(millisOf(id)).toBeGreaterThanOrEqual(before);
    expect(millisOf(id)).toBeLessThanOrEqual(after);
  });

  it('increases strictly for ids made in the same millisecond', () => {
    const uuidV7 = freshUuidV7();
    const now = Date.UTC(2027, 0, 1);
    const ids = Array.from({ length: 1000 }, () => uuidV7(now));
    expect(ids.every((id) => FORMAT.test(id))).toBe(true);
    expect(ids.every((id) => millisOf(id) === now)).toBe(true);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('still increases when one millisecond runs out of sequence numbers', () => {
    const uuidV7 = freshUuidV7();
    const now = Date.UTC(2028, 0, 1);
    // The 12-bit sequence holds at most 4096 ids; the rest borrow the following milliseconds.
    const ids = Array.from({ length: 10_000 }, () => uuidV7(now));
    expect(ids.every((id) => FORMAT.test(id))).toBe(true);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
    expect(millisOf(ids[0])).toBe(now);
    expect(millisOf(ids[ids.length - 1])).toBeGreaterThan(now);
    expect(millisOf(ids[ids.length - 1])).toBeLessThanOrEqual(now + 3);
  });

  it('never goes backwards when the clock does', () => {
    const uuidV7 = freshUuidV7();
    const later = uuidV7(Date.UTC(2029, 0, 1, 0, 0, 1));
    const earlier = uuidV7(Date.UTC(2029, 0, 1, 0, 0, 0));
    expect(earlier > later).toBe(true);
  });

  it('sorts in time order across milliseconds', () => {
    const uuidV7 = freshUuidV7();
    const ids = Array.from({ length: 50 }, (_, index) => uuidV7(Date.UTC(2030, 0, 1) + index));
    expect(ids).toEqual([...ids].sort());
  });
});
