/**
 * The mix of legacy usernames the demo generator writes: one row per category of §6 of the
 * username research (the edge-case catalog), with the share of accounts that get one.
 *
 * The rates are guesses at a real ten-year-old `users` table: most names are plain handles from a
 * small pool of popular names (so they collide, also in case), and every hard case occurs often
 * enough to show up in a 20,000-row demo.
 *
 * @module
 */

/** One kind of legacy username, with its share of the generated rows. */
export interface LegacyUserCategoryInfo {
  /** Stable key, e.g. `case_variant`. */
  readonly category: LegacyUserCategory;
  /** Share of generated rows, 0–1; the rates of the whole mix add up to 1. */
  readonly rate: number;
  /** What makes the value interesting, in a few words. */
  readonly description: string;
  /** Raw values of the kind (may hold invisible characters: escape them before printing). */
  readonly examples: readonly string[];
}

/** Every category of the mix, in the order the generator draws them. */
export const LEGACY_USER_CATEGORIES = [
  "plain",
  "case_variant",
  "null",
  "empty",
  "whitespace_only",
  "padded",
  "reserved",
  "protected_brand",
  "homoglyph",
  "fullwidth",
  "stylized",
  "ligature",
  "letterlike",
  "invisible",
  "tag_chars",
  "bidi",
  "control_chars",
  "emoji",
  "accented",
  "nfd",
  "zalgo",
  "turkish",
  "sharp_s",
  "greek_cyrillic",
  "other_scripts",
  "mixed_script",
  "too_short",
  "too_long",
  "oversize",
  "digits_only",
  "edge_separators",
  "consecutive_separators",
  "inner_space",
  "punctuation",
  "percent_encoded",
  "email_shaped",
  "phone_shaped",
  "sql_looking",
  "html_looking",
  "profane",
  "profanity_false_positive",
  "generated_looking",
] as const;

/** A key of {@linkcode LEGACY_USER_CATEGORIES}. */
export type LegacyUserCategory = (typeof LEGACY_USER_CATEGORIES)[number];

type Row = [rate: number, description: string, examples: string[]];

const MIX: Record<LegacyUserCategory, Row> = {
  plain: [0.7488, "valid lower-case handle, mostly one of a kind; a few bare popular names", [
    "alex",
    "alex48213",
    "maria.silva",
    "pixel_alex_92",
  ]],
  case_variant: [0.06, "valid once ASCII-lower-cased; collides with the plain ones", [
    "Alex",
    "ALEX",
    "aLEX",
    "Maria.Silva",
  ]],
  null: [0.02, "NULL username", []],
  empty: [0.003, "empty string", [""]],
  whitespace_only: [0.002, "spaces, tabs, newlines, NBSP or ideographic space only", [
    "   ",
    "\t",
    "\u00A0",
  ]],
  padded: [0.015, "leading or trailing whitespace", [" alex", "alex ", "\talex"]],
  reserved: [0.012, "system and route words, sentinels, Windows device names", [
    "admin",
    "support",
    "null",
    "[deleted]",
    "con",
  ]],
  protected_brand: [0.0005, "a protected brand name", ["paypal", "Google"]],
  homoglyph: [0.002, "Cyrillic/Greek or ASCII look-alike of a protected name", [
    "p\u0430ypal",
    "g\u03BFogle",
    "paypa1",
    "rnicrosoft",
  ]],
  fullwidth: [0.002, "full-width letters (NFKC folds them)", ["\uFF21\uFF4C\uFF45\uFF58"]],
  stylized: [0.002, "math bold, sans-serif bold or circled letters", [
    "\u{1D400}\u{1D425}\u{1D41E}\u{1D431}",
    "\u24B6\u24DB\u24D4\u24E7",
  ]],
  ligature: [0.001, "compatibility ligatures", ["\uFB01sh", "sta\uFB00ord", "\u0133sbrand"]],
  letterlike: [0.0005, "Kelvin sign, Angstrom sign, Roman numerals, script l", [
    "\u212Aevin",
    "\u2168",
    "\u2113ola",
  ]],
  invisible: [0.003, "zero-width, soft hyphen, variation selector or Hangul filler", [
    "al\u200Bex",
    "al\u00ADex",
    "alex\uFE0F",
    "\u3164",
  ]],
  tag_chars: [0.0005, "Unicode tag characters inside a name", ["al\u{E0041}ex"]],
  bidi: [0.001, "bidi overrides, isolates and marks", ["\u202Ealex", "alex\u202Egpj.exe"]],
  control_chars: [0.001, "control characters inside a name (no NUL: text cannot hold it)", [
    "alex\tsmith",
    "\u001B[31malex\u001B[0m",
  ]],
  emoji: [0.01, "emoji, with or without letters", ["alex\u{1F600}", "\u{1F600}\u{1F600}"]],
  accented: [0.02, "Latin letters with diacritics, NFC", ["Jos\u00E9", "\u0141ukasz"]],
  nfd: [0.002, "decomposed accents (NFD)", ["Jose\u0301", "be\u0301be\u0301"]],
  zalgo: [0.0005, "stacked combining marks", [
    "A\u0337\u0322l\u0337\u0322e\u0337\u0322x\u0337\u0322",
  ]],
  turkish: [0.001, "Turkish dotted I and dotless i", ["\u0130stanbul", "\u0131lgaz"]],
  sharp_s: [0.0005, "German sharp s", ["Stra\u00DFe", "Gau\u00DF"]],
  greek_cyrillic: [0.01, "Greek or Cyrillic names", [
    "\u0391\u03BB\u03AD\u03BE\u03B7\u03C2",
    "\u041E\u043B\u044C\u0433\u0430",
  ]],
  other_scripts: [0.015, "Han, kana, Hangul, Arabic, Hebrew or Thai names", [
    "\u5C71\u7530\u592A\u90CE",
    "\u0645\u062D\u0645\u062F",
    "\uAE40\uBBFC\uC900",
  ]],
  mixed_script: [0.0005, "Latin mixed with a right-to-left or another script", [
    "alex\u05D0\u05D1",
  ]],
  too_short: [0.003, "one or two characters", ["a", "ab", "0"]],
  too_long: [0.004, "40 to 300 ASCII characters", ["a".repeat(100)]],
  oversize: [0.0002, "over 256 code points, up to 5,000 CJK characters", []],
  digits_only: [0.01, "three to six digits", ["12345", "007", "1990"]],
  edge_separators: [0.01, "separators at the start or end", ["..alex..", ".alex", "_alex_"]],
  consecutive_separators: [0.002, "two or more separators in a row", [
    "alex..smith",
    "alex._smith",
  ]],
  inner_space: [0.01, "space, NBSP or ideographic space inside", ["Alex Smith", "alex\u00A0smith"]],
  punctuation: [0.01, "hyphens, apostrophes and other punctuation", ["alex-smith", "o'brien"]],
  percent_encoded: [0.0005, "percent-encoded text (never URL-decoded)", ["bob%20smith"]],
  email_shaped: [0.01, "an e-mail address (personal data)", ["maria.silva@example.com"]],
  phone_shaped: [0.002, "a phone number (personal data)", ["+14155550123", "(415) 555-0123"]],
  sql_looking: [0.0005, "SQL injection attempts", ["bob'; DROP TABLE users;--"]],
  html_looking: [0.0005, "HTML and script tags", ["<script>alert(1)</script>"]],
  profane: [0.002, "profanity, leetspeak and ligature-obfuscated", [
    "fuckface",
    "sh1tlord",
    "\uFB00uck",
  ]],
  profanity_false_positive: [0.0005, "innocent names a naive profanity filter flags", [
    "scunthorpe",
    "cockburn",
  ]],
  generated_looking: [0.001, "looks like a generated fallback name", ["user_ab12cd34ef"]],
};

/** The documented mix: category, rate, description and examples, in drawing order. */
export const LEGACY_USER_MIX: readonly LegacyUserCategoryInfo[] = LEGACY_USER_CATEGORIES.map(
  (category) => {
    const [rate, description, examples] = MIX[category];
    return { category, rate, description, examples };
  },
);
