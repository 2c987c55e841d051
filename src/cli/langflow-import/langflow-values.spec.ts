import { booleanOf, finiteNumberOf, jsonOf, timestampOf, uuidOf } from './langflow-values';

describe("reading Langflow's stored values", () => {
  it.each([
    ['9a1b2c3d4e5f4a6b8c7d0e1f2a3b4c5d', '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d'],
    ['9A1B2C3D-4E5F-4A6B-8C7D-0E1F2A3B4C5D', '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d'],
    ['not-a-uuid', undefined],
    [null, undefined],
  ])('reads the id %j as %j', (value, expected) => {
    expect(uuidOf(value)).toBe(expected);
  });

  it.each([
    ['2024-06-01 12:30:45.123456', '2024-06-01T12:30:45.123Z'],
    ['2024-06-01 12:30:45', '2024-06-01T12:30:45.000Z'],
    ['2024-06-01T12:30:45.5', '2024-06-01T12:30:45.500Z'],
    ['2024-06-01 14:30:45.1+02', '2024-06-01T12:30:45.100Z'],
    ['2024-06-01 12:30:45+00:00', '2024-06-01T12:30:45.000Z'],
    [new Date('2024-06-01T12:30:45.000Z'), '2024-06-01T12:30:45.000Z'],
    ['yesterday', undefined],
  ])('reads the timestamp %j as %j (no zone means UTC)', (value, expected) => {
    expect(timestampOf(value)).toBe(expected);
  });

  it.each([
    [1.25, 1.25],
    [0, 0],
    ['2.5', 2.5],
    [' -1e-3 ', -0.001],
    ['1e400', undefined],
    [Infinity, undefined],
    [NaN, undefined],
    ['0x10', undefined],
    ['', undefined],
    [true, undefined],
  ])('reads the duration %j as %j', (value, expected) => {
    expect(finiteNumberOf(value)).toBe(expected);
  });

  it('reads JSON text, JSON text inside JSON, and parsed values', () => {
    expect(jsonOf('["a.png"]')).toEqual(['a.png']);
    expect(jsonOf(JSON.stringify('["a.png"]'))).toEqual(['a.png']);
    expect(jsonOf({ a: 1 })).toEqual({ a: 1 });
    expect(jsonOf('{oops')).toBeUndefined();
    expect(jsonOf(null)).toBeNull();
  });

  it('reads booleans from either driver', () => {
    expect([1, 0, true, false, 't', null].map((value) => booleanOf(value, false))).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
    ]);
  });
});
