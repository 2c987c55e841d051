import { generateApiKey, isApiKeyFormat } from '../auth/api-key-format';
import { scrubApiKeys } from './scrub-api-keys';

const KEY = 'sk-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-xyz';

/** Every character percent-encoded, in upper or lower case hex. */
function encodeAll(text: string, lower = false): string {
  return [...text]
    .map((char) => `%${char.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .map((escape) => (lower ? escape : escape.toUpperCase()))
    .join('');
}

describe('scrubApiKeys', () => {
  it('knows the shape of every key the service makes or accepts', () => {
    expect(isApiKeyFormat(KEY)).toBe(true);
    for (let index = 0; index < 20; index += 1) {
      const key = generateApiKey();
      expect(scrubApiKeys(`"url":"/a?b=${key}&c=1"`)).toBe('"url":"/a?b=[REDACTED]&c=1"');
    }
  });

  it.each([
    ['/health', '/health'],
    ['/a?b=chat%207&c=sk-short', '/a?b=chat%207&c=sk-short'],
    [`/a/${KEY}`, '/a/[REDACTED]'],
    [`/a/${KEY}/b?x=1`, '/a/[REDACTED]/b?x=1'],
    [`/a?x-api-key[]=${KEY}&y=2`, '/a?x-api-key[]=[REDACTED]&y=2'],
    [`"msg":"GET /x${KEY} 404"`, '"msg":"GET /x[REDACTED] 404"'],
    [`two ${KEY} and ${KEY}.`, 'two [REDACTED] and [REDACTED].'],
    [`/a?k=${KEY.replace('-', '%2D')}`, '/a?k=[REDACTED]'],
    [`/a?k=${KEY.replace('-', '%2d')}&n=chat%207`, '/a?k=[REDACTED]&n=chat%207'],
    [`/a/${encodeAll(KEY)}`, '/a/[REDACTED]'],
    [`/a/${encodeAll(KEY, true)}`, '/a/[REDACTED]'],
    [`/a/chat%2F${KEY.replace('s', '%73')}`, '/a/chat%2F[REDACTED]'],
    [`/a?k=%25${encodeAll('sk-').slice(1)}${KEY.slice(3)}`, '/a?k=[REDACTED]'],
    [`/a?k=${encodeAll(encodeAll(KEY))}`, '/a?k=[REDACTED]'],
    [`/a?k=%zz${KEY}%`, '/a?k=%zz[REDACTED]%'],
  ])('%s -> %s', (text, scrubbed) => {
    expect(scrubApiKeys(text)).toBe(scrubbed);
  });

  it('keeps key-like strings that are not keys', () => {
    const text = `/a?id=${'a'.repeat(64)}&s=sk-${'b'.repeat(31)}&p=%41%42${'c'.repeat(40)}`;
    expect(scrubApiKeys(text)).toBe(text);
  });
});
