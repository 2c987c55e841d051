import { hasControlCharacter, hasUnprintableCharacter, printable } from './control-characters';

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

describe('hasUnprintableCharacter', () => {
  it.each([
    ['ESC', 'a\u001b[2Jb'],
    ['DEL', 'a\u007f'],
    ['a C1 control (CSI)', '\u009b31m'],
    ['a lone surrogate', 'a\ud800'],
    ['a line separator', 'a\u2028b'],
    ['a right-to-left override', 'abc\u202etxt.exe'],
    ['a newline', 'a\nb'],
  ])('finds %s', (_label, text) => {
    expect(hasUnprintableCharacter(text)).toBe(true);
  });

  it.each([
    ['plain', 'ci-pipeline'],
    ['spaces and accents', 'clé de déploiement'],
    ['emoji', 'bot 🚀'],
    ['CJK', '鍵'],
  ])('allows %s', (_label, text) => {
    expect(hasUnprintableCharacter(text)).toBe(false);
  });
});

describe('printable', () => {
  it('escapes what a terminal would obey, and backslashes so that escapes are unambiguous', () => {
    expect(printable('a\u001b[2Jb')).toBe('a\\u{001B}[2Jb');
    expect(printable('\u009b31m\u202e')).toBe('\\u{009B}31m\\u{202E}');
    expect(printable('a\\u{001B}')).toBe('a\\\\u{001B}');
    expect(printable('bot 🚀 ok')).toBe('bot 🚀 ok');
  });
});
