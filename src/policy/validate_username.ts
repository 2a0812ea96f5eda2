/**
 * The one username validator, for the migration and for new sign-ups alike.
 *
 * @module
 */

import { isPhoneShaped } from "./personal_data.ts";
import { isProfane } from "./profanity.ts";
import { type ReasonCode, sortReasons } from "./reason_codes.ts";
import { isReservedUsername } from "./reserved_names.ts";
import { usernameSkeleton } from "./skeleton.ts";
import { usernameShapeReasons } from "./username_shape.ts";

/** Options of `validateUsername`. */
export interface ValidateUsernameOptions {
  /** Skeletons of protected names (see `protectedSkeletons`); a name sharing one is refused. */
  protectedSkeletons?: ReadonlySet<string>;
}

/** The verdict on a username, with the reasons when it is refused. */
export type UsernameValidation = { valid: true } | { valid: false; reasons: ReasonCode[] };

/**
 * What is wrong with a well-shaped `name` beyond its shape: `RESERVED`, `PROFANE`, `PHONE_SHAPED`,
 * `PROTECTED_LOOKALIKE`.
 */
export function usernameContentReasons(
  name: string,
  options: ValidateUsernameOptions = {},
): ReasonCode[] {
  const reasons: ReasonCode[] = [];
  if (isPhoneShaped(name)) reasons.push("PHONE_SHAPED");
  if (isReservedUsername(name)) reasons.push("RESERVED");
  if (isProfane(name)) reasons.push("PROFANE");
  const skeletons = options.protectedSkeletons;
  if (skeletons && skeletons.size > 0 && skeletons.has(usernameSkeleton(name))) {
    reasons.push("PROTECTED_LOOKALIKE");
  }
  return reasons;
}

/**
 * Validates `name` as a username: 3–30 of `a-z 0-9 . _`, a letter or digit at both ends, no two
 * separators in a row, not all digits; then not a phone number, not reserved, not profane, and not
 * a look-alike of a protected name.
 */
export function validateUsername(
  name: string,
  options: ValidateUsernameOptions = {},
): UsernameValidation {
  const shape = usernameShapeReasons(name);
  const reasons = shape.length > 0 ? shape : usernameContentReasons(name, options);
  return reasons.length === 0 ? { valid: true } : { valid: false, reasons: sortReasons(reasons) };
}
