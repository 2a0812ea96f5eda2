/**
 * fast-check arbitraries for legacy username values, shared by the property tests.
 *
 * @module
 */

import fc from "fast-check";

// Characters that exercise every branch: invisibles, bidi, tags, homoglyphs, emoji, compatibility
// forms, marks, lone surrogates, controls, unsupported scripts, separators and ASCII letters.
const interesting = fc.constantFrom(
  ..."abcmnorlpyg0127 ._-@%+()",
  "\u200B",
  "\u200D",
  "\u00AD",
  "\uFE0F",
  "\u202E",
  "\u2066",
  "\u{E0041}",
  "\u0430",
  "\u03BF",
  "\u0131",
  "\u0130",
  "\u{1F600}",
  "\u{1F3FD}",
  "\uFB01",
  "\uFF22",
  "\u212A",
  "\u2168",
  "\u0301",
  "\u00e9",
  "\u00df",
  "\uD800",
  "\uDC00",
  "\u0000",
  "\t",
  "\u00A0",
  "\u3164",
  "\u5C71",
  "\u05D0",
  "\uFDFA",
);
const anyCodePoint = fc.integer({ min: 0, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp));
const mixedUnit = fc.oneof(
  { arbitrary: interesting, weight: 4 },
  { arbitrary: anyCodePoint, weight: 1 },
  { arbitrary: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCXYZ"), weight: 4 },
);
/** Any string: full Unicode, lone surrogates, controls, all scripts, up to 10,000 characters. */
export const anyLegacyValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string({ unit: "binary", maxLength: 10_000, size: "xlarge" }),
  fc.string({ unit: mixedUnit, maxLength: 40 }),
  fc.string({ unit: mixedUnit, minLength: 250, maxLength: 300 }),
  fc.string({ unit: "binary-ascii", maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(..."abcmnoxyzABCMXYZ0129._"), maxLength: 34 }),
);
