/**
 * The last, ASCII-only steps of the derived tier: lower-case, replace invalid runs, collapse and
 * trim separators, truncate.
 *
 * @module
 */

import type { ReasonCode } from "./reason_codes.ts";
import { USERNAME_MAX_LENGTH } from "./username_shape.ts";

/** A repaired name and the reasons for each repair made. */
export interface RepairedName {
  name: string;
  reasons: ReasonCode[];
}

const UPPER = /[A-Z]/;
const NON_ASCII = /\P{ASCII}/u;
const TRAILING_SEPARATORS = /[._]+$/;

/** Lower-cases ASCII letters only; every other character is left exactly as it is (`İ` stays). */
export function asciiLowerCase(text: string): string {
  if (!UPPER.test(text)) return text;
  if (!NON_ASCII.test(text)) return text.toLowerCase();
  return text.replace(/[A-Z]+/g, (run) => run.toLowerCase());
}

/**
 * Repairs an ASCII text into the username charset and length, in one pass: each run of
 * characters outside `a-z 0-9 . _` becomes `_`; separators at the ends go; a run of separators
 * inside keeps its first; then the name is cut to 30 characters. The result may still be too
 * short or all digits.
 */
export function repairAsciiName(ascii: string): RepairedName {
  const text = asciiLowerCase(ascii);
  let name = "";
  let separator = ""; // the first separator of the pending run
  let runLength = 0; // separators in the pending run, a run of invalid characters counting once
  let previousInvalid = false;
  let invalid = false;
  let collapsed = false;
  let edge = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39)) {
      if (runLength > 0 && name === "") edge = true;
      if (runLength > 0 && name !== "") {
        name += separator;
        if (runLength > 1) collapsed = true;
      }
      runLength = 0;
      previousInvalid = false;
      name += text[i];
      continue;
    }
    const isSeparator = code === 0x2e || code === 0x5f;
    if (!isSeparator && previousInvalid) continue;
    previousInvalid = !isSeparator;
    invalid ||= !isSeparator;
    if (runLength === 0) separator = isSeparator ? text[i]! : "_";
    runLength++;
  }
  if (runLength > 0) edge = true;
  const reasons: ReasonCode[] = [];
  if (invalid) reasons.push("INVALID_CHARS_REPLACED");
  if (collapsed) reasons.push("SEPARATORS_COLLAPSED");
  if (edge) reasons.push("EDGE_SEPARATORS");
  if (name.length > USERNAME_MAX_LENGTH) {
    reasons.push("TOO_LONG");
    name = name.slice(0, USERNAME_MAX_LENGTH).replace(TRAILING_SEPARATORS, "");
  }
  return { name, reasons };
}
