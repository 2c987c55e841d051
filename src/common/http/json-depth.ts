/**
 * True when the JSON text nests arrays and objects deeper than `maxDepth` (a top-level array is
 * depth 1). Reads the UTF-8 bytes without parsing: a multi-byte character never contains a
 * quote, a backslash or a bracket byte, so strings are skipped exactly. Stops at the first level
 * too deep, so a body of a million brackets costs no more than the limit.
 */
export function exceedsJsonDepth(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index];
    if (inString) {
      if (byte === 0x5c) {
        index += 1;
      } else if (byte === 0x22) {
        inString = false;
      }
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x5b || byte === 0x7b) {
      depth += 1;
      if (depth > maxDepth) {
        return true;
      }
    } else if (byte === 0x5d || byte === 0x7d) {
      depth -= 1;
    }
  }
  return false;
}
