/**
 * The look-alike key of a name for protected names: its UTS #39 skeleton (Unicode confusables),
 * then the ASCII tricks folded too: digits and symbols read as letters (`adm1n`, `r00t`,
 * `5upport`), letter pairs read as one (`rn` → `m`, `vv` → `w`, `cl` → `d`), separators gone.
 * Used only to compare with protected names, never stored, never shown.
 *
 * @module
 */

import { usernameSkeleton } from "./skeleton.ts";

// `1 i l ! |` are one class: UTS #39 reads `1` as `l`, leetspeak reads it as `i`.
const CHAR_CLASS: Readonly<Record<string, string>> = {
  "0": "o",
  "1": "i",
  "l": "i",
  "!": "i",
  "|": "i",
  "2": "z",
  "3": "e",
  "4": "a",
  "@": "a",
  "5": "s",
  "$": "s",
  "6": "g",
  "7": "t",
  "8": "b",
  "9": "g",
};
const PAIRS = /rn|vv|cl/g;
const PAIR_CLASS: Readonly<Record<string, string>> = { rn: "m", vv: "w", cl: "d" };
const FOLDED_CHARS = /[0-9l!|@$]/g;
const SEPARATORS = /[\s._\-]+/g;

/** Folds what the skeleton has already lower-cased and separated from its separators. */
function foldAscii(skeleton: string): string {
  return skeleton.replace(PAIRS, (pair) => PAIR_CLASS[pair]!)
    .replace(FOLDED_CHARS, (char) => CHAR_CLASS[char]!);
}

/** The protected-name key of `text`: skeleton, separators removed, ASCII tricks folded. */
export function protectedFold(text: string): string {
  return foldAscii(usernameSkeleton(text.replace(SEPARATORS, "")));
}
