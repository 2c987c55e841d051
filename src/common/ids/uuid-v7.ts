import { randomBytes } from 'node:crypto';

let lastMillis = 0;
let sequence = 0;

/**
 * A time-ordered UUID (RFC 9562, version 7). Ids made in the same millisecond still increase,
 * so messages ingested together without timestamps keep their order when sorted by (timestamp, id).
 */
export function uuidV7(now: number = Date.now()): string {
  let millis = Math.max(now, lastMillis);
  if (millis === lastMillis) {
    sequence += 1;
    if (sequence > 0xfff) {
      millis += 1;
      sequence = 0;
    }
  } else {
    sequence = randomBytes(2).readUInt16BE(0) & 0x3ff;
  }
  lastMillis = millis;

  const bytes = randomBytes(16);
  bytes.writeUIntBE(millis, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
