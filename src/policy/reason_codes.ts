/**
 * Reason codes: why a legacy value did not become its own username unchanged. They are stored in
 * `identity.migration_report.reasons` (text[]) and counted by product, so the strings are stable:
 * add new codes at the end, never rename one.
 *
 * @module
 */

/** Every reason code, in the canonical order reasons are reported in. */
export const REASON_CODES = [
  // The value itself is absent or unusable.
  "MISSING", // null or undefined
  "EMPTY", // ""
  "WHITESPACE_ONLY", // only whitespace
  "OVERSIZE", // more than 256 code points: rejected before any normalisation
  "NO_USABLE_CHARS", // nothing left once invisible, control, emoji and invalid characters went
  // Personal data: never a handle, never a fallback base.
  "EMAIL_SHAPED",
  "PHONE_SHAPED", // a phone number or another long number (7+ digits and separators only)
  // Characters that were removed or changed on the way to a candidate.
  "CONTROL_CHAR", // Cc characters (NUL, tab, newline…)
  "INVISIBLE_CHARS", // Default_Ignorable_Code_Point: zero-width, soft hyphen, variation selectors…
  "BIDI", // bidi controls (overrides, isolates, marks)
  "TAG_CHARS", // U+E0000–E007F tag characters
  "PICTOGRAPHIC", // emoji and other pictographs
  "TRIMMED", // leading or trailing whitespace
  "STYLIZED", // NFKC changed it: full-width, math alphanumerics, ligatures, circled letters…
  "MARKS_REMOVED", // diacritics and other combining marks dropped
  "TRANSLITERATED", // non-ASCII letters written in ASCII (ß → ss, Москва → moskva)
  "ENCODED", // percent- or entity-encoded text, kept literally and never decoded
  "INVALID_CHARS_REPLACED", // runs of characters outside a-z 0-9 . _ became "_"
  "SEPARATORS_COLLAPSED", // two or more separators in a row became one
  "EDGE_SEPARATORS", // separators at the start or end were removed
  "TOO_LONG", // longer than 30 characters (a derived candidate is truncated)
  "MIXED_SCRIPT", // letters from more than one script
  "HOMOGLYPH", // non-ASCII letters that look like the ASCII name they became
  // The candidate is not acceptable.
  "TOO_SHORT",
  "ALL_DIGITS",
  "BAD_SHAPE", // not a-z 0-9 . _ with letters or digits at both ends and single separators
  "UNSUPPORTED_SCRIPT", // letters only from scripts the handle does not transliterate
  "RESERVED",
  "PROFANE",
  "PROTECTED_LOOKALIKE", // same skeleton as a protected name
  // Decided by the caller against the live set of names, listed here so there is one list.
  "TAKEN", // the name belongs to another account
  "TAKEN_BY_OLDER", // contested: a better tier or an older account won it
  "HELD", // released recently and still on hold
  "LOOKALIKE", // a new sign-up: same skeleton as an existing username
  // Added with the safe-names policy.
  "NUMBER_LIKE", // reads as a number, version, IP address or hex value (`1.00`, `10.0.0.1`)
  "MARKUP", // the raw value is mostly markup: tags, entities (`<b onload=…>`)
  "CODE_LIKE", // the raw value is mostly code: SQL, shell, paths, URLs, formulas, template syntax
  "TERMINAL_ESCAPE", // ANSI or other terminal escape sequences, removed whole
  "DISPLAY_NAME_TRUNCATED", // the legacy display name was longer than 256 code points
  "DISPLAY_NAME_CLEANED", // control, bidi or invisible characters removed from the display name
] as const;

/** A stable SCREAMING_SNAKE reason code. */
export type ReasonCode = typeof REASON_CODES[number];

const ORDER: ReadonlyMap<ReasonCode, number> = new Map(REASON_CODES.map((code, i) => [code, i]));

/** Returns the codes without duplicates, in canonical `REASON_CODES` order. */
export function sortReasons(codes: ReasonCode[]): ReasonCode[] {
  if (codes.length < 2) return [...codes];
  return [...new Set(codes)].sort((a, b) => ORDER.get(a)! - ORDER.get(b)!);
}
