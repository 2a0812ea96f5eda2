/**
 * How the profanity check reads ASCII: lower case, and inside a word digits and `$ @` read as the
 * letters they stand for (`sh1t`, `a55hole`). A run of digits alone is a number and stays one
 * (`bob_455` is not `bob_ass`). Three readings: `1` as `i` (`sh1t`), `1` as `l` (`s1ut`), and
 * digits as digits (Arabic chat alphabet: `3ars`, `5ara`). Terms are folded the same way.
 *
 * @module
 */

/** How the digits of a word are read. */
export type Reading = "i" | "l" | "digits";

/** The readings the check tries, in order. */
export const READINGS: readonly Reading[] = ["i", "l", "digits"];

const LEET: Readonly<Record<string, string>> = {
  "0": "o",
  "2": "z",
  "3": "e",
  "4": "a",
  "5": "s",
  "6": "g",
  "7": "t",
  "8": "b",
  "9": "g",
  "$": "s",
  "@": "a",
};

/** A code that is not part of a word. */
export const NOT_WORD = 255;

/** The symbol of a folded character: `a-z` → 0–25, `0-9` → 26–35. */
export function symbolOfChar(char: string): number {
  return /^[a-z]$/.test(char) ? char.charCodeAt(0) - 97 : char.charCodeAt(0) - 22;
}

function table(reading: Reading): Uint8Array {
  return Uint8Array.from({ length: 128 }, (_, code) => {
    const char = String.fromCharCode(code).toLowerCase();
    const folded = reading === "digits"
      ? (char === "$" ? "s" : char === "@" ? "a" : char)
      : char === "1"
      ? reading
      : LEET[char] ?? char;
    return /^[a-z0-9]$/.test(folded) ? symbolOfChar(folded) : NOT_WORD;
  });
}

/** Per ASCII code and reading, the symbol it is read as inside a word, or `NOT_WORD`. */
export const FOLD_TABLE: Readonly<Record<Reading, Uint8Array>> = {
  i: table("i"),
  l: table("l"),
  digits: table("digits"),
};

/** One word folded as the check reads it; a word of digits alone stays as it is. */
export function foldWord(word: string, reading: Reading): string {
  if (!/[a-z$@]/i.test(word)) return word;
  const fold = FOLD_TABLE[reading];
  let out = "";
  for (let i = 0; i < word.length; i++) {
    const code = word.charCodeAt(i);
    const symbol = code < 128 ? fold[code]! : NOT_WORD;
    if (symbol !== NOT_WORD) out += "abcdefghijklmnopqrstuvwxyz0123456789"[symbol];
  }
  return out;
}
