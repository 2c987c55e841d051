import { API_KEY_SHAPE } from '../auth/api-key-format';

export const REDACTED = '[REDACTED]';

const KEY = new RegExp(API_KEY_SHAPE, 'g');

/**
 * Runs of characters that can spell a key, as is or percent-encoded (`sk%2D...`, `%73%6B%2D...`,
 * `%2573k-...`): a key's own characters and `%`, at least as long as the shortest key. Anything
 * else (`/`, `?`, `=`, `&`, `"`, a space) ends a run, so a match never swallows more of a URL or a
 * message than the part that spells the key. The lookbehind makes a run start only at its first
 * character, so the scan stays linear.
 */
const CANDIDATE = /(?<![A-Za-z0-9_%-])[A-Za-z0-9_%-]{35,}/g;

/**
 * A key none of whose first three characters is written as such has `s`, `k` or `-` escaped
 * (`%73`, `%6B`, `%2D`), or an escaped `%` (`%25`) when it was encoded more than once.
 */
const ESCAPED_KEY_START = /%(?:73|6b|2d|25)/i;

/** Percent-encoding layers undone when looking for a key: a URL decoded twice is still a risk. */
const DECODE_DEPTH = 3;

/**
 * `text` with every key-shaped string (see API_KEY_SHAPE), plain or percent-encoded, replaced by
 * `[REDACTED]`; the rest is kept as it was. The log's last line of defence: it runs on every line
 * written, so it is cheap: a line with neither `sk-` nor `%` costs two `includes` scans, one
 * with `%20` and the like a regex scan more; only a line with `sk-` and a `%`, or with an escaped
 * `s`, `k`, `-` or `%`, is cut into runs and decoded.
 */
export function scrubApiKeys(text: string): string {
  const plain = text.includes('sk-');
  const escaped = text.includes('%');
  if (!plain && !escaped) {
    return text;
  }
  let scrubbed = plain ? text.replace(KEY, REDACTED) : text;
  if (escaped && (plain || ESCAPED_KEY_START.test(scrubbed))) {
    scrubbed = scrubbed.replace(CANDIDATE, scrubRun);
  }
  return scrubbed;
}

function scrubRun(run: string): string {
  if (!run.includes('%')) {
    return run;
  }
  const spans = merged(keySpans(run, DECODE_DEPTH));
  if (spans.length === 0) {
    return run;
  }
  let scrubbed = '';
  let kept = 0;
  for (const [start, end] of spans) {
    scrubbed += run.slice(kept, start) + REDACTED;
    kept = end;
  }
  return scrubbed + run.slice(kept);
}

/** Where keys are in `text`: [start, end) spans, found as is and under up to `depth` decodings. */
function keySpans(text: string, depth: number): [number, number][] {
  const spans: [number, number][] = [];
  for (const match of text.matchAll(KEY)) {
    spans.push([match.index, match.index + match[0].length]);
  }
  if (depth > 0 && text.includes('%')) {
    const { decoded, starts } = percentDecoded(text);
    if (decoded.length < text.length) {
      for (const [start, end] of keySpans(decoded, depth - 1)) {
        spans.push([starts[start], starts[end]]);
      }
    }
  }
  return spans;
}

/**
 * One layer of percent-decoding, byte by byte (a key is ASCII), with where each decoded character
 * came from: `starts[i]` is the offset in `text` of decoded character i, and
 * `starts[decoded.length]` is `text.length`. Malformed escapes are kept as they are.
 */
function percentDecoded(text: string): { decoded: string; starts: number[] } {
  let decoded = '';
  const starts: number[] = [];
  let index = 0;
  while (index < text.length) {
    starts.push(index);
    const code = text.charCodeAt(index) === 37 ? hexByte(text, index + 1) : -1;
    if (code >= 0) {
      decoded += String.fromCharCode(code);
      index += 3;
    } else {
      decoded += text[index];
      index += 1;
    }
  }
  starts.push(text.length);
  return { decoded, starts };
}

function hexByte(text: string, at: number): number {
  const high = hexDigit(text.charCodeAt(at));
  const low = hexDigit(text.charCodeAt(at + 1));
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) {
    return code - 48;
  }
  const lower = code | 32;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** The spans sorted, overlapping ones joined. */
function merged(spans: [number, number][]): [number, number][] {
  spans.sort((a, b) => a[0] - b[0]);
  const result: [number, number][] = [];
  for (const span of spans) {
    const last = result[result.length - 1];
    if (last && span[0] <= last[1]) {
      last[1] = Math.max(last[1], span[1]);
    } else {
      result.push([span[0], span[1]]);
    }
  }
  return result;
}
