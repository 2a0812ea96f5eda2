/**
 * Display names: free text (Unicode and emoji welcome) that is shown next to a handle, so it must
 * not be able to reorder, hide or fake what is around it. Every path (snapshot, stream, API) stores
 * what {@linkcode sanitizeDisplayName} returns.
 *
 * @module
 */

import type { ReasonCode } from "./reason_codes.ts";

/** A display name is at most this many code points once cleaned. */
export const DISPLAY_NAME_MAX_CODE_POINTS = 256;

/**
 * Only this many code points of a raw value are looked at: anything past it is cut unseen, so a
 * 10 MB legacy value costs no more than a short one, and a reader (the snapshot) may fetch only
 * this prefix (plus one code point, to know that there was more) and store the same result.
 */
export const DISPLAY_NAME_RAW_MAX_CODE_POINTS = 4 * DISPLAY_NAME_MAX_CODE_POINTS;

/** A cleaned display name and what was done to it. */
export interface SanitizedDisplayName {
  text: string;
  /** `DISPLAY_NAME_CLEANED`, `DISPLAY_NAME_TRUNCATED`, in that order; empty when unchanged. */
  reasons: ReasonCode[];
}

const PLAIN = /^[\x20-\x7e]*$/;
// ANSI CSI and OSC sequences and two-character escapes, 7-bit and 8-bit, removed whole (the same
// forms the username policy removes), so no `[31m` is left on a profile.
const TERMINAL_ESCAPE =
  // deno-lint-ignore no-control-regex -- escape sequences are what is matched
  /\x1b\[[0-?]*[ -\/]*[@-~]|\x9b[0-?]*[ -\/]*[@-~]|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[@-Z\\-_]/g;
// Line breaks and tabs separate words: they become a space, never a line of their own.
const SPACING = /[\t\n\v\f\r\x85\u2028\u2029]/g;
// Other controls, bidi controls (overrides, embeddings, isolates, marks), lone surrogates and
// noncharacters go; default-ignorable characters (zero-width, fillers, tags, variation
// selectors) go too, but for the joiners and selectors of emoji sequences.
const REMOVED =
  /[\p{Cc}\p{Bidi_Control}\p{Surrogate}\p{Noncharacter_Code_Point}\p{Default_Ignorable_Code_Point}]/gu;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const EMOJI_MODIFIER = /\p{Emoji_Modifier}/u;
const ZWJ = "\u200D";
const VS16 = "\uFE0F";

/**
 * Cleans a display name: terminal escape sequences removed whole; line breaks and tabs turned to
 * spaces; every other control (NUL included), bidi control, lone surrogate, noncharacter and
 * invisible (default-ignorable) character removed, except the zero-width joiners and emoji
 * selectors inside emoji sequences (`👩‍💻`); then cut to 256 code points, never inside a
 * surrogate pair. Looks at the first 1,024 code points only.
 */
export function sanitizeDisplayName(raw: string): SanitizedDisplayName {
  if (raw.length <= DISPLAY_NAME_MAX_CODE_POINTS && PLAIN.test(raw)) {
    return { text: raw, reasons: [] };
  }
  const seen = prefixOf(raw, DISPLAY_NAME_RAW_MAX_CODE_POINTS);
  const cleaned = seen.text.replace(TERMINAL_ESCAPE, "").replace(SPACING, " ")
    .replace(
      REMOVED,
      (char, offset: number, text: string) => isEmojiGlue(char, offset, text) ? char : "",
    );
  const kept = prefixOf(cleaned, DISPLAY_NAME_MAX_CODE_POINTS);
  // A joiner left at the end by the cut joins nothing.
  const text = kept.cut && kept.text.endsWith(ZWJ) ? kept.text.slice(0, -1) : kept.text;
  const reasons: ReasonCode[] = [];
  if (cleaned !== seen.text) reasons.push("DISPLAY_NAME_CLEANED");
  if (seen.cut || kept.cut) reasons.push("DISPLAY_NAME_TRUNCATED");
  return { text, reasons };
}

/** The first `max` code points of `text`, and whether anything was left out. */
function prefixOf(text: string, max: number): { text: string; cut: boolean } {
  // Each code point is one or two UTF-16 units.
  if (text.length <= max) return { text, cut: false };
  let units = 0;
  for (let points = 0; points < max && units < text.length; points++) {
    const code = text.charCodeAt(units);
    const low = text.charCodeAt(units + 1);
    units += code >= 0xd800 && code <= 0xdbff && low >= 0xdc00 && low <= 0xdfff ? 2 : 1;
  }
  return { text: text.slice(0, units), cut: units < text.length };
}

/** Whether `char` at `offset` holds an emoji sequence together: a joiner or a VS16 after a pictograph. */
function isEmojiGlue(char: string, offset: number, text: string): boolean {
  if (char !== ZWJ && char !== VS16) return false;
  let end = offset;
  if (char === ZWJ) {
    // Skip the selector and the skin tone a pictograph may carry before its joiner.
    if (text[end - 1] === VS16) end--;
    const modifier = codePointBefore(text, end);
    if (modifier !== undefined && EMOJI_MODIFIER.test(modifier)) end -= modifier.length;
  }
  const base = codePointBefore(text, end);
  if (base === undefined || !PICTOGRAPH.test(base)) return false;
  if (char === VS16) return true;
  const next = text.codePointAt(offset + 1);
  return next !== undefined && PICTOGRAPH.test(String.fromCodePoint(next));
}

/** The code point that ends just before `end`, as a string of one or two units. */
function codePointBefore(text: string, end: number): string | undefined {
  if (end <= 0) return undefined;
  const low = text.charCodeAt(end - 1);
  const high = text.charCodeAt(end - 2);
  const pair = end >= 2 && low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
  return text.slice(pair ? end - 2 : end - 1, end);
}
