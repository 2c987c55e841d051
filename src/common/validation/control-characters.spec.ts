import { hasControlCharacter } from './control-characters';

describe('hasControlCharacter', () => {
  it.each(
    [...Array.from({ length: 0x20 }, (_, code) => code), 0x7f].map((code): [string, number] => [
      `U+${code.toString(16).toUpperCase().padStart(4, '0')}`,
      code,
    ]),
  )('finds %s anywhere in the text', (_label, code) => {
    const character = String.fromCharCode(code);
    expect(hasControlCharacter(character)).toBe(true);
    expect(hasControlCharacter(`a${character}`)).toBe(true);
    expect(hasControlCharacter(`${character}b`)).toBe(true);
    expect(hasControlCharacter(`a${character}b`)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['plain', 'support-chat-42'],
    ['a space', 'my session'],
    ['punctuation', 'user@example.com:42/a+b~!'],
    ['emoji (surrogate pairs)', 'chat 🚀'],
    ['accents', 'ünïcode'],
    ['U+0080, a C1 control the contract allows', '\u0080'],
    ['U+00A0 (no-break space)', '\u00a0'],
    ['U+2028 (line separator)', '\u2028'],
  ])('allows %s', (_label, text) => {
    expect(hasControlCharacter(text)).toBe(false);
  });
});
