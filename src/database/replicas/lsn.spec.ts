import { formatLsn, lsnKey, parseLsn } from './lsn';

describe('LSNs', () => {
  it('reads both halves of what PostgreSQL prints', () => {
    expect(parseLsn('16/B374D848')).toBe(0x16_b374d848n);
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('FFFFFFFF/FFFFFFFF')).toBe((1n << 64n) - 1n);
    expect(parseLsn('a/ff')).toBe(0xa_000000ffn);
  });

  it.each([
    '',
    '16',
    '16/',
    '/B374D848',
    '16/B374D848 ',
    'G/0',
    '123456789/0',
    '0/123456789',
    '-1/0',
    '1/2/3',
  ])('refuses %j', (text) => {
    expect(() => parseLsn(text)).toThrow('not a PostgreSQL LSN');
  });

  it('prints an LSN as PostgreSQL does, and back', () => {
    expect(formatLsn(0x16_b374d848n)).toBe('16/B374D848');
    expect(formatLsn(0n)).toBe('0/0');
    expect(formatLsn(0x16b3748n)).toBe('0/16B3748');
    for (const text of ['16/B374D848', '0/0', 'FFFFFFFF/FFFFFFFF', '1/1']) {
      expect(formatLsn(parseLsn(text))).toBe(text);
    }
  });

  it('makes keys of one width whose string order is the numeric order', () => {
    const lsns = [
      0n,
      1n,
      0xfn,
      0x10n,
      0xffffffffn,
      0x1_00000000n,
      0x16_b374d848n,
      (1n << 64n) - 1n,
    ];
    const keys = lsns.map(lsnKey);
    expect(keys[0]).toBe('0000000000000000');
    expect(keys[6]).toBe('00000016B374D848');
    expect(new Set(keys.map((key) => key.length))).toEqual(new Set([16]));
    expect([...keys].reverse().sort()).toEqual(keys);
  });

  it('refuses numbers that are no LSN', () => {
    expect(() => formatLsn(-1n)).toThrow(RangeError);
    expect(() => lsnKey(1n << 64n)).toThrow(RangeError);
  });
});
