import { boundedEcho, boundedText, MAX_ECHO_CHARACTERS } from './bounded-echo';

describe('boundedEcho', () => {
  it('echoes short values as they are', () => {
    for (const value of [
      '',
      'abc',
      'x'.repeat(MAX_ECHO_CHARACTERS),
      42,
      true,
      null,
      [1, 'a'],
      { a: { b: [] } },
    ]) {
      expect(boundedEcho(value)).toEqual(value);
    }
  });

  it('cuts a long string to its first characters and "…"', () => {
    const echoed = boundedEcho('y'.repeat(10_000)) as string;
    expect(echoed).toHaveLength(MAX_ECHO_CHARACTERS);
    expect(echoed).toBe(`${'y'.repeat(MAX_ECHO_CHARACTERS - 1)}…`);
  });

  it('never splits a surrogate pair', () => {
    const echoed = boundedText('🚀'.repeat(1000), 10);
    expect(echoed).toBe(`${'🚀'.repeat(4)}…`);
  });

  it('echoes a large object as a prefix of its JSON', () => {
    const value = { text: 'z'.repeat(9_000_000), more: [1, 2, 3] };
    const echoed = boundedEcho(value) as string;
    expect(typeof echoed).toBe('string');
    expect(echoed.length).toBeLessThanOrEqual(MAX_ECHO_CHARACTERS);
    expect(echoed.endsWith('…')).toBe(true);
    expect(echoed.startsWith('{"text":"zzz')).toBe(true);
  });

  it('echoes a huge list without walking all of it', () => {
    const value = Array.from({ length: 1_000_000 }, (_, index) => index);
    const echoed = boundedEcho(value) as string;
    expect(echoed.startsWith('[0,1,2,3,')).toBe(true);
    expect(echoed.length).toBeLessThanOrEqual(MAX_ECHO_CHARACTERS);
  });

  it('copes with nesting far deeper than the stack', () => {
    let deep: unknown = [];
    for (let level = 0; level < 100_000; level += 1) {
      deep = [deep];
    }
    const echoed = boundedEcho(deep) as string;
    expect(echoed).toBe(`${'['.repeat(MAX_ECHO_CHARACTERS - 1)}…`);
  });

  it('keeps own __proto__ and constructor keys in the JSON it writes', () => {
    const value = JSON.parse(`{"__proto__":{"x":"${'q'.repeat(300)}"},"constructor":1}`) as object;
    expect(boundedEcho(value)).toMatch(/^\{"__proto__":\{"x":"qqq/);
  });
});
