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
// `c1` stays `ci` (`0ff1c1al`), not `d`: a digit reads as one letter only.
const PAIRS = /rn|vv|cl/g;
const PAIR_CLASS: Readonly<Record<string, string>> = { rn: "m", vv: "w", cl: "d" };
const SEPARATORS = /[\s._\-]+/g;
const NON_ASCII = /\P{ASCII}/u;
const W = /w/g;

// For ASCII, the skeleton only lower-cases and maps `0 1 I |` (and `m` to `rn`, undone by the
// pairs), so one table does it: each code to its letter class; separators to 0, dropped.
const ASCII_CLASS = Uint8Array.from({ length: 128 }, (_, code) => {
  const char = String.fromCharCode(code).toLowerCase();
  if (/[\s._\-]/.test(char)) return 0;
  return (CHAR_CLASS[char] ?? char).charCodeAt(0);
});
const R = 0x72, N = 0x6e, V = 0x76, C = 0x63, L = 0x6c;
const PAIR_OF: Readonly<Record<number, [number, number]>> = {
  [N]: [R, 0x6d], // rn → m
  [V]: [V, 0x77], // vv → w
  [L]: [C, 0x64], // cl → d
};
// Usernames are at most 30 characters; a raw legacy value at most 256 code points.
const buffer = new Uint16Array(1024);

/** The ASCII fold in one pass over char codes: the common case, and cheap. */
function foldAsciiCodes(text: string): string {
  let length = 0;
  let previous = -1; // the previous letter as written (lower-case), for the pairs
  for (let i = 0; i < text.length && length < buffer.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0x41 && code <= 0x5a) code += 32;
    const folded = ASCII_CLASS[code]!;
    if (folded === 0) continue;
    const pair = PAIR_OF[code];
    if (pair !== undefined && previous === pair[0] && length > 0) {
      buffer[length - 1] = pair[1];
      previous = -1;
      continue;
    }
    buffer[length++] = folded;
    previous = code;
  }
  return String.fromCharCode.apply(null, buffer.subarray(0, length) as unknown as number[]);
}

function foldPairsThenClasses(lower: string): string {
  let out = "";
  const paired = lower.replace(PAIRS, (pair) => PAIR_CLASS[pair]!);
  for (let i = 0; i < paired.length; i++) {
    const code = paired.charCodeAt(i);
    out += code < 128 ? String.fromCharCode(ASCII_CLASS[code]! || code) : paired[i];
  }
  return out;
}

/**
 * `protectedFold` with every run of a letter read as one, before and after folding, and `w` read
 * as `vv` (so as `v`): the form for repeats anywhere (`tthe_staff`, `systernnn`, `vvvebmaster`).
 * One pass over char codes for ASCII.
 */
export function looseProtectedFold(text: string): string {
  if (NON_ASCII.test(text)) {
    const lower = collapseRuns(text.toLowerCase().replace(SEPARATORS, "").replace(W, "v"));
    return collapseRuns(protectedFold(lower));
  }
  let length = 0;
  let previousRaw = -1; // the last letter as written, once runs are one letter
  let pairFirst = -1; // the same, for the pairs
  for (let i = 0; i < text.length && length < buffer.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0x41 && code <= 0x5a) code += 32;
    if (code === 0x77) code = V;
    const folded = ASCII_CLASS[code]!;
    if (folded === 0 || code === previousRaw) continue;
    previousRaw = code;
    const pair = PAIR_OF[code];
    if (pair !== undefined && pairFirst === pair[0] && length > 0) {
      buffer[length - 1] = pair[1];
      if (length > 1 && buffer[length - 2] === pair[1]) length--;
      pairFirst = -1;
      continue;
    }
    pairFirst = code;
    if (length > 0 && buffer[length - 1] === folded) continue;
    buffer[length++] = folded;
  }
  return String.fromCharCode.apply(null, buffer.subarray(0, length) as unknown as number[]);
}

/** `text` with every run of one character as that character once (`rooot` → `rot`). */
export function collapseRuns(text: string): string {
  let out = "";
  let previous = -1;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === previous) {
      out += text.slice(start, i);
      start = i + 1;
    }
    previous = code;
  }
  return start === 0 ? text : out + text.slice(start);
}

/** The protected-name key of `text`: skeleton, separators removed, ASCII tricks folded. */
export function protectedFold(text: string): string {
  if (NON_ASCII.test(text)) {
    return foldPairsThenClasses(usernameSkeleton(text.replace(SEPARATORS, "")));
  }
  return foldAsciiCodes(text);
}
