import { createHash } from 'node:crypto';
import { apiKeyPreview, generateApiKey, hashApiKey, isApiKeyFormat } from './api-key-format';

describe('isApiKeyFormat', () => {
  it.each([`sk-${'a'.repeat(32)}`, `sk-${'A1_-'.repeat(8)}`, `sk-${'z'.repeat(200)}`])(
    'accepts %s',
    (key) => {
      expect(isApiKeyFormat(key)).toBe(true);
    },
  );

  it.each([
    ['too short', `sk-${'a'.repeat(31)}`],
    ['no prefix', 'a'.repeat(40)],
    ['another prefix', `pk-${'a'.repeat(32)}`],
    ['upper-case prefix', `SK-${'a'.repeat(32)}`],
    ['a character outside base64url', `sk-${'a'.repeat(32)}+`],
    ['padding', `sk-${'a'.repeat(32)}=`],
    ['a trailing newline', `sk-${'a'.repeat(32)}\n`],
    ['leading space', ` sk-${'a'.repeat(32)}`],
    ['empty', ''],
  ])('refuses a key with %s', (_label, key) => {
    expect(isApiKeyFormat(key)).toBe(false);
  });
});

describe('generateApiKey', () => {
  it('makes keys of the accepted format: sk- and 43 base64url characters (256 bits)', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
    expect(isApiKeyFormat(key)).toBe(true);
    expect(Buffer.from(key.slice(3), 'base64url')).toHaveLength(32);
  });

  it('never makes the same key twice', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateApiKey()));
    expect(keys.size).toBe(1000);
  });
});

describe('hashApiKey', () => {
  it('is the hex SHA-256 of the key, stable across calls', () => {
    const key = `sk-${'b'.repeat(43)}`;
    expect(hashApiKey(key)).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).toBe(hashApiKey(key));
  });

  it('differs for keys that differ in one character', () => {
    expect(hashApiKey(`sk-${'a'.repeat(32)}`)).not.toBe(hashApiKey(`sk-${'a'.repeat(31)}b`));
  });
});

describe('apiKeyPreview', () => {
  it('shows the prefix and the last four characters only', () => {
    const key = 'sk-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789wxyz';
    const preview = apiKeyPreview(key);
    expect(preview).toBe('sk-ABCD…wxyz');
    expect(preview.length).toBeLessThanOrEqual(16);
    expect(preview).not.toContain('EFGH');
  });
});
