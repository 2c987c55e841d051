/**
 * PostgreSQL write-ahead-log positions (LSNs) as numbers: read-your-writes compares the position a
 * client's last write reached on the primary with the position a replica has replayed.
 * PostgreSQL prints an LSN as two hexadecimal halves, `16/B374D848` = 0x16_B374D848.
 */

const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;
const MAX_LSN = (1n << 64n) - 1n;

/** `16/B374D848` as a bigint; throws on anything that is not an LSN as PostgreSQL prints one. */
export function parseLsn(text: string): bigint {
  const match = LSN_TEXT.exec(text);
  if (!match) {
    throw new Error(`not a PostgreSQL LSN: ${JSON.stringify(text)}`);
  }
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

/** The LSN as PostgreSQL prints it (upper-case halves, no padding). */
export function formatLsn(lsn: bigint): string {
  checkRange(lsn);
  const high = (lsn >> 32n).toString(16).toUpperCase();
  const low = (lsn & 0xffffffffn).toString(16).toUpperCase();
  return `${high}/${low}`;
}

/**
 * Sixteen upper-case hexadecimal digits: a fixed width, so that comparing two keys as strings (as
 * Redis does) orders them as the LSNs.
 */
export function lsnKey(lsn: bigint): string {
  checkRange(lsn);
  return lsn.toString(16).toUpperCase().padStart(16, '0');
}

function checkRange(lsn: bigint): void {
  if (lsn < 0n || lsn > MAX_LSN) {
    throw new RangeError(`an LSN is an unsigned 64-bit number, not ${lsn}`);
  }
}
