import { hash } from 'node:crypto';

/**
 * An OTLP trace id as a UUID: its 16 bytes, with the 6 bits a UUID reserves set to version 8
 * (RFC 9562's custom layout) and the RFC variant, so that Langflow's routes take it. The rest of
 * the hex is the trace id's own, findable by eye; the same trace always gets the same id.
 */
export function traceUuid(traceIdHex: string): string {
  const variant = ((parseInt(traceIdHex[16], 16) & 0x3) | 0x8).toString(16);
  return asUuid(
    `${traceIdHex.slice(0, 12)}8${traceIdHex.slice(13, 16)}${variant}${traceIdHex.slice(17)}`,
  );
}

/**
 * A span's UUID: SHA-1 of its trace id and span id (span ids are unique only within a trace),
 * shaped as a version 5 UUID. A span sent twice gets the same id, so retries store it once.
 */
export function spanUuid(traceIdHex: string, spanIdHex: string): string {
  // The one-shot hash: a Hash object per span cost more than the digest itself.
  const digest = hash('sha1', Buffer.from(traceIdHex + spanIdHex, 'hex'), 'buffer').subarray(0, 16);
  digest[6] = (digest[6] & 0x0f) | 0x50;
  digest[8] = (digest[8] & 0x3f) | 0x80;
  return asUuid(digest.toString('hex'));
}

function asUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
