/** Log sequence numbers (`X/Y`, two hexadecimal halves of a 64-bit position), as exact integers. */

const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** Parses `X/Y` into its 64-bit position. */
export function parseLsn(lsn: string): bigint {
  const match = LSN.exec(lsn);
  if (!match) throw new TypeError(`Cannot parse LSN "${lsn}": not of the form X/Y in hexadecimal`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** Formats a 64-bit position as PostgreSQL prints it (`16/B374D848`). */
export function formatLsn(position: bigint): string {
  if (position < 0n || position >= 1n << 64n) {
    throw new RangeError(`Cannot format LSN ${position}: outside 0 to 2^64 - 1`);
  }
  const high = (position >> 32n).toString(16).toUpperCase();
  const low = (position & 0xffffffffn).toString(16).toUpperCase();
  return `${high}/${low}`;
}

/** Compares two LSNs: negative, zero or positive as `a` is before, at or after `b`. */
export function compareLsn(a: string, b: string): number {
  const difference = parseLsn(a) - parseLsn(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

/**
 * The position one byte before `lsn`. Rows read under a snapshot that is
 * consistent at C carry C - 1: every transaction the stream delivers commits
 * at or after C, so its commit LSN is greater, while the snapshot already
 * holds every one that committed before C.
 */
export function lsnBefore(lsn: string): string {
  const position = parseLsn(lsn);
  return formatLsn(position === 0n ? 0n : position - 1n);
}
