/**
 * The shape of a username, exactly as the database CHECK states it:
 * `username ~ '^[a-z0-9]+([._][a-z0-9]+)*$' AND char_length(username) BETWEEN 3 AND 30
 *  AND username !~ '^[0-9]+$'`.
 *
 * @module
 */

import type { ReasonCode } from "./reason_codes.ts";

/** The shortest allowed username, in characters. */
export const USERNAME_MIN_LENGTH = 3;

/** The longest allowed username, in characters. */
export const USERNAME_MAX_LENGTH = 30;

const SHAPE = /^[a-z0-9]+(?:[._][a-z0-9]+)*$/;
const ALL_DIGITS = /^[0-9]+$/;

/** Whether `name` has the username shape (charset, length, separators, not all digits). */
export function isWellFormedUsername(name: string): boolean {
  return name.length >= USERNAME_MIN_LENGTH && name.length <= USERNAME_MAX_LENGTH &&
    SHAPE.test(name) && !ALL_DIGITS.test(name);
}

/** The shape problems of `name`: `TOO_SHORT`, `TOO_LONG`, `ALL_DIGITS`, `BAD_SHAPE`. */
export function usernameShapeReasons(name: string): ReasonCode[] {
  const reasons: ReasonCode[] = [];
  if (name.length < USERNAME_MIN_LENGTH) reasons.push("TOO_SHORT");
  if (name.length > USERNAME_MAX_LENGTH) reasons.push("TOO_LONG");
  if (ALL_DIGITS.test(name)) reasons.push("ALL_DIGITS");
  else if (name.length > 0 && !SHAPE.test(name)) reasons.push("BAD_SHAPE");
  return reasons;
}
