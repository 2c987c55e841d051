/** True when the text holds a control character (U+0000-U+001F or U+007F). */
export function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code <= 0x1f || code === 0x7f) {
      return true;
    }
  }
  return false;
}

/**
 * Control characters (C0, DEL, C1), lone surrogates, line and paragraph separators and the bidi
 * controls that reorder text on screen: what must not be in a name meant to be printed.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cs}\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** True when the text holds a character that is not printable (see UNPRINTABLE). */
export function hasUnprintableCharacter(text: string): boolean {
  return UNPRINTABLE.test(text);
}

/**
 * The text with every unprintable character written as a `\u{...}` escape (and backslashes
 * doubled), safe to print on a terminal: an escape sequence in a name cannot rewrite the screen.
 */
export function printable(text: string): string {
  return text.replace(
    /[\\\p{Cc}\p{Cs}\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu,
    (character) =>
      character === '\\'
        ? '\\\\'
        : `\\u{${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}}`,
  );
}
