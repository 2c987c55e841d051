/**
 * The most of a rejected value a 422 repeats: a value whose JSON is longer is echoed as a string,
 * its first characters then "…", so that a 9 MB body never comes back as a 9 MB error.
 */
export const MAX_ECHO_CHARACTERS = 256;

const ELLIPSIS = '…';

/** A string cut to `max` characters, the last being "…"; a surrogate pair is never split. */
export function boundedText(text: string, max = MAX_ECHO_CHARACTERS): string {
  if (text.length <= max) {
    return text;
  }
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) {
    end -= 1;
  }
  return `${text.slice(0, end)}${ELLIPSIS}`;
}

/**
 * What a 422 echoes of a value: the value itself when its JSON is short, otherwise a prefix of
 * that JSON (of the text itself for a string). Works without recursion and stops writing at the
 * bound, so neither depth nor size of the value can make it fail or take long.
 */
export function boundedEcho(value: unknown, max = MAX_ECHO_CHARACTERS): unknown {
  if (typeof value === 'string') {
    return boundedText(value, max);
  }
  if (typeof value !== 'object' || value === null) {
    return typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol'
      ? boundedText(String(value), max)
      : value;
  }
  const { text, complete } = jsonPrefix(value, max);
  return complete && text.length <= max ? value : boundedText(text + ELLIPSIS, max);
}

type Work = { literal: string } | { value: unknown };

/** The JSON text of a value up to a little past `max` characters, and whether it is all there. */
export function jsonPrefix(value: unknown, max: number): { text: string; complete: boolean } {
  let text = '';
  const work: Work[] = [{ value }];
  while (work.length > 0) {
    if (text.length > max) {
      return { text, complete: false };
    }
    const next = work.pop()!;
    if ('literal' in next) {
      text += next.literal;
      continue;
    }
    const item = next.value;
    // Each member takes at least one character: no more of them can fit in what is left.
    const room = max - text.length + 2;
    if (Array.isArray(item)) {
      const count = Math.min(item.length, room);
      work.push({ literal: count === item.length ? ']' : '' });
      for (let index = count - 1; index >= 0; index -= 1) {
        work.push({ value: item[index] as unknown });
        if (index > 0) {
          work.push({ literal: ',' });
        }
      }
      text += '[';
    } else if (typeof item === 'object' && item !== null) {
      const keys = Object.keys(item);
      const count = Math.min(keys.length, room);
      work.push({ literal: count === keys.length ? '}' : '' });
      for (let index = count - 1; index >= 0; index -= 1) {
        work.push({ value: (item as Record<string, unknown>)[keys[index]] });
        work.push({
          literal: `${index > 0 ? ',' : ''}${JSON.stringify(keys[index].slice(0, room))}:`,
        });
      }
      text += '{';
    } else if (typeof item === 'string') {
      text += JSON.stringify(item.slice(0, room));
      if (item.length > room) {
        return { text, complete: false };
      }
    } else if (typeof item === 'number' || typeof item === 'boolean') {
      text += JSON.stringify(item);
    } else {
      text += 'null';
    }
  }
  return { text, complete: true };
}
