/**
 * Which scripts a handle may be derived from. Latin, Greek and Cyrillic transliterate well and are
 * what homoglyph attacks use, so they are handled; any other script (Han, Arabic, Hebrew, Hangul…)
 * has no single good romanisation, so a value written only in one gets no derived handle and keeps
 * its text in the display name. A value mixing Latin with another script keeps the Latin part.
 *
 * @module
 */

import type { ReasonCode } from "./reason_codes.ts";

/** The outcome of the script policy on a text. */
export interface ScriptVerdict {
  /** The text, with letters and digits of unsupported scripts replaced by spaces when mixed. */
  text: string;
  reasons: ReasonCode[];
  /** True when only unsupported scripts carry letters or digits: nothing may be derived. */
  unsupported: boolean;
}

const LATIN = /[\p{L}&&\p{sc=Latin}]/v;
const GREEK = /[\p{L}&&\p{sc=Greek}]/v;
const CYRILLIC = /[\p{L}&&\p{sc=Cyrillic}]/v;
const OTHER =
  /[[\p{L}\p{N}]--[\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}\p{sc=Common}\p{sc=Inherited}]]/gv;

/** Applies the script policy to `text` (already stripped and NFKC-normalised). */
export function applyScriptPolicy(text: string): ScriptVerdict {
  const scripts = Number(LATIN.test(text)) + Number(GREEK.test(text)) +
    Number(CYRILLIC.test(text));
  if (text.search(OTHER) < 0) {
    return { text, reasons: scripts > 1 ? ["MIXED_SCRIPT"] : [], unsupported: false };
  }
  if (scripts === 0) return { text, reasons: ["UNSUPPORTED_SCRIPT"], unsupported: true };
  return { text: text.replace(OTHER, " "), reasons: ["MIXED_SCRIPT"], unsupported: false };
}
