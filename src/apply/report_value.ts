/** How a raw legacy value is kept in the report: escaped, bounded, never interpreted. */

/** Code points of a raw value kept in a report row; the rest is counted, not stored. */
export const REPORT_VALUE_MAX_CODE_POINTS = 256;

const PLAIN = /^[\x20-\x5b\x5d-\x7e]*$/;

/**
 * Escapes a raw legacy value for `identity.migration_report.raw_value`: printable
 * ASCII stays, everything else becomes `\uXXXX` (or `\u{XXXXX}`), a backslash
 * becomes `\\`; values longer than 256 code points are cut and marked `...(cut)`.
 */
export function escapeReportValue(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  // Most values are short printable ASCII without a backslash: kept as they are.
  if (raw.length <= REPORT_VALUE_MAX_CODE_POINTS && PLAIN.test(raw)) return raw;
  let out = "";
  let count = 0;
  for (const char of raw) {
    if (count === REPORT_VALUE_MAX_CODE_POINTS) return `${out}...(cut)`;
    count++;
    const code = char.codePointAt(0)!;
    if (char === "\\") out += "\\\\";
    else if (code >= 0x20 && code < 0x7f) out += char;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += `\\u{${code.toString(16)}}`;
  }
  return out;
}
