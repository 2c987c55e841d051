import { codePointLength, normalizeTimestamp } from './fields';

describe('normalizeTimestamp', () => {
  it.each([
    ['2026-11-24T13:09:00.123Z', '2026-11-24T13:09:00.123Z'],
    ['2026-11-24T13:09:00Z', '2026-11-24T13:09:00.000Z'],
    ['2026-11-24T13:09:00.1Z', '2026-11-24T13:09:00.100Z'],
    ['2026-11-24T13:09:00.123456789Z', '2026-11-24T13:09:00.123Z'],
    ['2026-11-24t13:09:00.123z', '2026-11-24T13:09:00.123Z'],
    ['2026-11-24 13:09:00.123Z', '2026-11-24T13:09:00.123Z'],
    ['2026-11-24T15:09:00.123+02:00', '2026-11-24T13:09:00.123Z'],
    ['2026-11-24T08:39:00.123-04:30', '2026-11-24T13:09:00.123Z'],
    ['2026-01-01T00:30:00+01:00', '2025-12-31T23:30:00.000Z'],
    ['2026-11-24T13:09:00', '2026-11-24T13:09:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('reads %s as %s', (input, expected) => {
    expect(normalizeTimestamp(input)).toBe(expected);
  });

  it.each([
    ['not a date', 'yesterday'],
    ['a date alone', '2026-11-24'],
    ['no seconds', '2026-11-24T13:09Z'],
    ['a day that does not exist', '2026-02-30T00:00:00Z'],
    ['February 29 of a common year', '2026-02-29T00:00:00Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['hour 25', '2026-11-24T25:00:00Z'],
    ['minute 60', '2026-11-24T13:60:00Z'],
    ['an offset without a colon', '2026-11-24T13:09:00+0200'],
    ['trailing text', '2026-11-24T13:09:00Z tomorrow'],
    ['a year past 9999 in UTC', '9999-12-31T23:30:00-01:00'],
    ['empty', ''],
  ])('refuses %s', (_label, input) => {
    expect(normalizeTimestamp(input)).toBeNull();
  });

  it('keeps the stored form fixed-width, so that text order is time order', () => {
    const values = ['2026-11-24T13:09:00+05:00', '2026-11-24T13:09:00Z', '2026-11-24T13:09:00.5Z'];
    const normalized = values.map((value) => normalizeTimestamp(value)!);
    expect(normalized.every((value) => value.length === 24)).toBe(true);
    expect([...normalized].sort()).toEqual(
      [...normalized].sort((a, b) => Date.parse(a) - Date.parse(b)),
    );
  });
});

describe('codePointLength', () => {
  it('counts code points, as PostgreSQL and pydantic count characters', () => {
    expect(codePointLength('')).toBe(0);
    expect(codePointLength('abc')).toBe(3);
    // An emoji outside the BMP is two UTF-16 units but one character.
    expect(codePointLength('\u{1F600}')).toBe(1);
    expect(codePointLength('a\u{1F600}b')).toBe(3);
    // Variation selectors are characters of their own.
    expect(codePointLength('a\uFE0F')).toBe(2);
    // A lone surrogate still counts once.
    expect(codePointLength('\uD83D')).toBe(1);
    expect(codePointLength('\uDE00x')).toBe(2);
  });
});
