/**
 * From a legacy username to the best candidate handle, in tiers, best first:
 *
 * - `exact`: the raw value, ASCII-lower-cased, is already valid (`Bob.Smith` → `bob.smith`);
 * - `normalized`: after trimming and NFKC it is ASCII and valid (`Ｂｏｂ` → `bob`);
 * - `derived`: after stripping unsafe characters, NFKC, dropping marks, transliterating and
 *   repairing (`Москва` → `moskva`, `john smith` → `john_smith`).
 *
 * Or `none`, with the reasons and, when one may be, a safe `base` for a fallback (`ab` → `ab`, so
 * the account gets `ab_4821`). Pure, deterministic and total: it never throws.
 *
 * @module
 */

import anyAscii from "any-ascii";
import { isEmailShaped, isPhoneShaped } from "./personal_data.ts";
import { type ReasonCode, sortReasons } from "./reason_codes.ts";
import { asciiLowerCase, repairAsciiName } from "./repair_username.ts";
import { payloadReasons } from "./payload_shape.ts";
import { type ProtectedNames, RESERVED_PROTECTED } from "./protected_names.ts";
import { applyScriptPolicy } from "./script_policy.ts";
import { usernameSkeleton } from "./skeleton.ts";
import { stripUnsafeChars } from "./strip_unsafe_chars.ts";
import { isWellFormedUsername, usernameShapeReasons } from "./username_shape.ts";
import { usernameContent } from "./validate_username.ts";

/** How a candidate was obtained from the legacy value; a better tier wins a contested name. */
export type UsernameTier = "exact" | "normalized" | "derived";

/** Options of `usernameCandidate`. */
export interface UsernameCandidateOptions {
  /** Skeletons of protected names (see `protectedNames`); look-alikes get no candidate. */
  protectedNames?: ProtectedNames;
}

/** The decision on a legacy value: a candidate handle or none, with reasons and a fallback base. */
export type UsernameCandidate =
  | { kind: "candidate"; tier: UsernameTier; username: string; reasons: ReasonCode[]; base: string }
  | { kind: "none"; reasons: ReasonCode[]; base: string | null; resembles?: string };

/** Raw values longer than this many code points are refused before any normalisation. */
export const RAW_MAX_CODE_POINTS = 256;

const NON_ASCII = /\P{ASCII}/u;
const NON_ASCII_LETTER = /[^\P{L}a-zA-Z]/u;
const MARKS = /\p{M}/gu;
const WHITESPACE = /\s+/g;
const SPACE = /[^\S ]/g;
const LETTER = /[a-z]/;
const CONTROL = /\p{Cc}/u;
const LOOKALIKE_SYMBOL = /[@$!|]/;
const ENCODED = /%[0-9a-f]{2}|&(?:#[0-9]+|#x[0-9a-f]+|[a-z]+);/i;
function none(
  reasons: ReasonCode[],
  base: string | null = null,
  resembles: string | null = null,
): UsernameCandidate {
  const decision = { kind: "none" as const, reasons: sortReasons(reasons), base };
  return resembles === null ? decision : { ...decision, resembles };
}

/** Judges a well-shaped name from the exact or normalised tier. */
function judge(
  tier: UsernameTier,
  username: string,
  reasons: ReasonCode[],
  options: UsernameCandidateOptions,
): UsernameCandidate {
  const problems = usernameContent(username, options);
  if (problems.reasons.length > 0) {
    return none([...reasons, ...problems.reasons], null, problems.resembles);
  }
  return { kind: "candidate", tier, username, reasons: sortReasons(reasons), base: username };
}

function exceedsCodePoints(text: string, limit: number): boolean {
  if (text.length <= limit) return false;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    if (++count > limit) return true;
  }
  return false;
}

/** Returns the best candidate username for a legacy value, or none with reasons. */
export function usernameCandidate(
  raw: string | null | undefined,
  options: UsernameCandidateOptions = {},
): UsernameCandidate {
  if (typeof raw !== "string") return none(["MISSING"]);
  if (raw === "") return none(["EMPTY"]);
  if (exceedsCodePoints(raw, RAW_MAX_CODE_POINTS)) return none(["OVERSIZE"]);
  const ascii = !NON_ASCII.test(raw);
  if (ascii) {
    // On pure ASCII, toLowerCase is exactly ASCII lower-casing: the fast path for most rows.
    const lower = raw.toLowerCase();
    if (isWellFormedUsername(lower)) return judge("exact", lower, [], options);
  }
  // Lone surrogates become U+FFFD, which is kept as an ordinary invalid character.
  const text = ascii ? raw : raw.toWellFormed().replaceAll("\uFFFD", "?");
  const trimmed = text.trim();
  if (trimmed === "") {
    return none(CONTROL.test(text) ? ["CONTROL_CHAR", "WHITESPACE_ONLY"] : ["WHITESPACE_ONLY"]);
  }
  const folded = ascii ? trimmed : trimmed.normalize("NFKC").trim();
  const normalized = asciiLowerCase(folded);
  if (!NON_ASCII.test(normalized) && isWellFormedUsername(normalized)) {
    const reasons: ReasonCode[] = [];
    if (trimmed !== text) reasons.push("TRIMMED");
    if (folded !== trimmed) reasons.push("STYLIZED");
    return judge("normalized", normalized, reasons, options);
  }
  return derive(text, options);
}

/** The derived tier: strip, NFKC, script policy, drop marks, transliterate, repair, validate. */
function derive(text: string, options: UsernameCandidateOptions): UsernameCandidate {
  const reasons: ReasonCode[] = [];
  if (ENCODED.test(text)) reasons.push("ENCODED");
  const stripped = stripUnsafeChars(text);
  reasons.push(...stripped.reasons);
  let value = stripped.text;
  if (NON_ASCII.test(value)) {
    // Every space is a plain space first, so only real compatibility forms count as STYLIZED.
    value = value.replace(SPACE, " ");
    const folded = value.normalize("NFKC");
    if (folded !== value.normalize("NFC")) reasons.push("STYLIZED");
    value = folded;
  }
  const trimmed = value.trim();
  if (trimmed !== value) reasons.push("TRIMMED");
  value = trimmed;
  if (value === "") return none([...reasons, "NO_USABLE_CHARS"]);
  if (isEmailShaped(value)) return none([...reasons, "EMAIL_SHAPED"]);
  const payload = payloadReasons(value);
  if (payload.length > 0) return none([...reasons, ...payload]);
  if (isPhoneShaped(value)) return none([...reasons, "PHONE_SHAPED"]);

  let lookalike: string | null = null;
  // Symbols read as letters (`@dmin`, `$upport`) are judged before repair turns them into `_`.
  const symbolic = LOOKALIKE_SYMBOL.test(value) ? value : null;
  if (NON_ASCII.test(value)) {
    const scripts = applyScriptPolicy(value);
    reasons.push(...scripts.reasons);
    if (scripts.unsupported) return none(reasons);
    value = scripts.text.trim();
    if (NON_ASCII_LETTER.test(value)) lookalike = usernameSkeleton(value.replace(WHITESPACE, ""));
    const decomposed = value.normalize("NFD");
    if (decomposed.search(MARKS) >= 0) reasons.push("MARKS_REMOVED");
    if (NON_ASCII.test(decomposed.replace(MARKS, ""))) reasons.push("TRANSLITERATED");
    // Marks go from the composed text, so any-ascii still sees whole letters (й → y, not i).
    value = anyAscii(value.replace(MARKS, ""));
    if (isEmailShaped(value)) return none([...reasons, "EMAIL_SHAPED"]);
    if (isPhoneShaped(value.trim())) return none([...reasons, "PHONE_SHAPED"]);
  }

  const repaired = repairAsciiName(value);
  reasons.push(...repaired.reasons);
  const name = repaired.name;
  if (name === "") return none([...reasons, "NO_USABLE_CHARS"]);
  const shape = usernameShapeReasons(name);
  const content = usernameContent(name, options);
  const problems = [...shape, ...content.reasons];
  let resembles = content.resembles;
  const homoglyph = lookalike !== null && lookalike === usernameSkeleton(name);
  if (homoglyph) reasons.push("HOMOGLYPH");
  // Only a spoof that reads as ASCII and as something else than the name can resemble more than
  // the name does (letters of other scripts left in it look like no ASCII name).
  const spoof = lookalike !== null && !homoglyph && !NON_ASCII.test(lookalike) ? lookalike : null;
  for (const before of [spoof, symbolic]) {
    if (before === null) continue;
    // The letters before transliteration and repair are judged too: `\u0430dmin` spoofs `admin`
    // even where any-ascii would spell it otherwise, and `@dmin` before `@` becomes `_`.
    if (!problems.includes("RESERVED") && !problems.includes("PROTECTED_LOOKALIKE")) {
      resembles = (options.protectedNames ?? RESERVED_PROTECTED).resembles(before);
      if (resembles !== null) problems.push("PROTECTED_LOOKALIKE");
    }
  }
  if (problems.length > 0) {
    const onlyShort = problems.every((problem) => problem === "TOO_SHORT");
    return none([...reasons, ...problems], onlyShort && LETTER.test(name) ? name : null, resembles);
  }
  return {
    kind: "candidate",
    tier: "derived",
    username: name,
    reasons: sortReasons(reasons),
    base: name,
  };
}
