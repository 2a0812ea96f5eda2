/**
 * The one username validator, for the migration and for new sign-ups alike.
 *
 * @module
 */

import { isNumberLike } from "./number_like.ts";
import { isPhoneShaped } from "./personal_data.ts";
import { isProfane } from "./profanity.ts";
import { type ProtectedNames, RESERVED_PROTECTED } from "./protected_names.ts";
import { type ReasonCode, sortReasons } from "./reason_codes.ts";
import { isReservedUsername } from "./reserved_names.ts";
import { isSystemName } from "./system_names.ts";
import { usernameShapeReasons } from "./username_shape.ts";

/** Options of `validateUsername`. */
export interface ValidateUsernameOptions {
  /**
   * The protected names (see `protectedNames`); a look-alike of one is refused. Defaults to the
   * reserved names alone.
   */
  protectedNames?: ProtectedNames;
  /** True only for names the system draws itself (`user_…`, `deleted_…`), which users may not. */
  system?: boolean;
}

/** The verdict on a username, with the reasons when it is refused. */
export type UsernameValidation =
  | { valid: true }
  | { valid: false; reasons: ReasonCode[]; resembles?: string };

/** What is wrong with a name beyond its shape, and the protected name it resembles, if any. */
export interface ContentVerdict {
  reasons: ReasonCode[];
  resembles: string | null;
}

/**
 * What is wrong with a well-shaped `name` beyond its shape: `PHONE_SHAPED`, `NUMBER_LIKE`,
 * `RESERVED` (including the system's own namespace), `PROFANE`, `PROTECTED_LOOKALIKE`.
 */
export function usernameContent(
  name: string,
  options: ValidateUsernameOptions = {},
): ContentVerdict {
  const reasons: ReasonCode[] = [];
  let resembles: string | null = null;
  if (isPhoneShaped(name)) reasons.push("PHONE_SHAPED");
  else if (isNumberLike(name)) reasons.push("NUMBER_LIKE");
  if (isReservedUsername(name) || (options.system !== true && isSystemName(name))) {
    reasons.push("RESERVED");
  } else if (options.system !== true) {
    resembles = (options.protectedNames ?? RESERVED_PROTECTED).resembles(name);
    if (resembles !== null) reasons.push("PROTECTED_LOOKALIKE");
  }
  if (isProfane(name)) reasons.push("PROFANE");
  return { reasons, resembles };
}

/** The reasons of `usernameContent` alone. */
export function usernameContentReasons(
  name: string,
  options: ValidateUsernameOptions = {},
): ReasonCode[] {
  return usernameContent(name, options).reasons;
}

/**
 * Validates `name` as a username: 3–30 of `a-z 0-9 . _`, a letter or digit at both ends, no two
 * separators in a row, not all digits; then not a phone number nor number-like, not reserved nor
 * in the system's namespace, not profane, and not a look-alike of a protected name.
 */
export function validateUsername(
  name: string,
  options: ValidateUsernameOptions = {},
): UsernameValidation {
  const shape = usernameShapeReasons(name);
  if (shape.length > 0) return { valid: false, reasons: sortReasons(shape) };
  const content = usernameContent(name, options);
  if (content.reasons.length === 0) return { valid: true };
  const reasons = sortReasons(content.reasons);
  return content.resembles === null
    ? { valid: false, reasons }
    : { valid: false, reasons, resembles: content.resembles };
}
