import { exceedsJsonDepth } from './json-depth';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('exceedsJsonDepth', () => {
  it('counts arrays and objects alike, a top-level array being depth 1', () => {
    expect(exceedsJsonDepth(bytes('[]'), 1)).toBe(false);
    expect(exceedsJsonDepth(bytes('[[]]'), 1)).toBe(true);
    expect(exceedsJsonDepth(bytes('[{"a":{"b":[1]}}]'), 4)).toBe(false);
    expect(exceedsJsonDepth(bytes('[{"a":{"b":[1]}}]'), 3)).toBe(true);
    expect(exceedsJsonDepth(bytes('"plain"'), 0)).toBe(false);
  });

  it('measures the deepest point, not the number of brackets', () => {
    expect(exceedsJsonDepth(bytes('[[],[],[],[],[]]'), 2)).toBe(false);
  });

  it('skips brackets and escaped quotes inside strings', () => {
    expect(exceedsJsonDepth(bytes('["[[[[", "\\"[[[[", "{{{{\\\\"]'), 1)).toBe(false);
    expect(exceedsJsonDepth(bytes('{"k\\"[[":"]]]]"}'), 1)).toBe(false);
  });

  it('reads multi-byte characters as opaque', () => {
    expect(exceedsJsonDepth(bytes('["🚀[", {"ü": "名前"}]'), 2)).toBe(false);
  });

  it('stops at a body of a million levels at once', () => {
    expect(exceedsJsonDepth(bytes('['.repeat(1_000_000) + ']'.repeat(1_000_000)), 64)).toBe(true);
  });
});
