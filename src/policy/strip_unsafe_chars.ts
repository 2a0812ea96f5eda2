/**
 * Removes what NFKC and `toLowerCase` leave in place but a handle must never carry: bidi controls,
 * tag characters, invisible (default-ignorable) characters, controls and pictographs. It runs
 * before transliteration, because `any-ascii` turns a tag character into a letter and an emoji into
 * `:grinning:`.
 *
 * @module
 */

import type { ReasonCode } from "./reason_codes.ts";

/** The text without unsafe characters, and the reasons for what was removed. */
export interface StrippedText {
  text: string;
  reasons: ReasonCode[];
}

const NON_ASCII = /\P{ASCII}/u;
// ANSI CSI and OSC sequences and two-character escapes, 7-bit and 8-bit: removed whole, so no
// `[31m` is left behind to become part of a name.
const TERMINAL_ESCAPE =
  // deno-lint-ignore no-control-regex -- escape sequences are what this removes
  /\x1b\[[0-?]*[ -\/]*[@-~]|\x9b[0-?]*[ -\/]*[@-~]|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[@-Z\\-_]/g;
// deno-lint-ignore no-control-regex -- the escape introducers themselves
const ESCAPE = /[\x1b\x9b\x9d]/;
const BIDI = /\p{Bidi_Control}/gu;
const TAG = /[\u{E0000}-\u{E007F}]/gu;
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;
const CONTROL = /\p{Cc}/u;
// Line and tab controls separate words, so they become spaces; the other controls vanish.
const SPACING_CONTROL = /[\p{Cc}&&\p{White_Space}]/gv;
const OTHER_CONTROL = /\p{Cc}/gu;
const PICTOGRAPH = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}]/gu;

/** Strips terminal escape sequences whole, bidi controls, tag characters, invisible characters, controls and pictographs. */
export function stripUnsafeChars(text: string): StrippedText {
  const reasons: ReasonCode[] = [];
  let out = text;
  if (ESCAPE.test(out)) {
    const cleaned = out.replace(TERMINAL_ESCAPE, "");
    if (cleaned !== out) {
      reasons.push("TERMINAL_ESCAPE");
      out = cleaned;
    }
  }
  if (!NON_ASCII.test(out)) {
    if (!CONTROL.test(out)) return { text: out, reasons };
    return {
      text: out.replace(SPACING_CONTROL, " ").replace(OTHER_CONTROL, ""),
      reasons: [...reasons, "CONTROL_CHAR"],
    };
  }
  // Bidi controls and tag characters are default-ignorable too: test them first for their reasons.
  if (out.search(BIDI) >= 0) {
    reasons.push("BIDI");
    out = out.replace(BIDI, "");
  }
  if (out.search(TAG) >= 0) {
    reasons.push("TAG_CHARS");
    out = out.replace(TAG, "");
  }
  if (out.search(INVISIBLE) >= 0) {
    reasons.push("INVISIBLE_CHARS");
    out = out.replace(INVISIBLE, "");
  }
  if (CONTROL.test(out)) {
    reasons.push("CONTROL_CHAR");
    out = out.replace(SPACING_CONTROL, " ").replace(OTHER_CONTROL, "");
  }
  if (out.search(PICTOGRAPH) >= 0) {
    reasons.push("PICTOGRAPHIC");
    out = out.replace(PICTOGRAPH, "");
  }
  return { text: out, reasons };
}
