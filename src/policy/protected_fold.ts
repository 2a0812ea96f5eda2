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
const SEPARATORS = /[\s._\-]+/g;
const NON_ASCII = /\P{ASCII}/u;

// For ASCII, the skeleton only lower-cases and maps `0 1 I |` (and `m` to `rn`, undone by the
// pairs), so one table does it: each code to its letter class, separators to nothing.
const ASCII_CLASS: readonly string[] = Array.from({ length: 128 }, (_, code) => {
  const char = String.fromCharCode(code).toLowerCase();
  if (/[\s._\-]/.test(char)) return "";
  return CHAR_CLASS[char] ?? char;
});

function foldPairsThenClasses(lower: string): string {
  let out = "";
  const paired = lower.replace(PAIRS, (pair) => PAIR_CLASS[pair]!);
  for (let i = 0; i < paired.length; i++) out += ASCII_CLASS[paired.charCodeAt(i)] ?? paired[i];
  return out;
}

/** The protected-name key of `text`: skeleton, separators removed, ASCII tricks folded. */
export function protectedFold(text: string): string {
  if (NON_ASCII.test(text)) {
    return foldPairsThenClasses(usernameSkeleton(text.replace(SEPARATORS, "")));
  }
  let lower = "";
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x2e || code === 0x5f || code === 0x2d || code === 0x20) continue;
    lower += code >= 0x41 && code <= 0x5a ? String.fromCharCode(code + 32) : text[i];
  }
  return foldPairsThenClasses(lower);
}
