/**
 * The identity policy: pure functions that decide usernames and public IDs. No network, disk,
 * clock or environment; randomness is passed in.
 *
 * @module
 */

export { REASON_CODES, type ReasonCode, sortReasons } from "./reason_codes.ts";
export {
  isWellFormedUsername,
  USERNAME_MAX_LENGTH,
  USERNAME_MIN_LENGTH,
} from "./username_shape.ts";
export {
  isReservedUsername,
  RESERVED_NAMES,
  RESERVED_NAMES_VERSION,
  RESERVED_SOURCES,
} from "./reserved_names.ts";
export { isProfane } from "./profanity.ts";
export { isEmailShaped, isPhoneShaped } from "./personal_data.ts";
export { usernameSkeleton } from "./skeleton.ts";
export {
  type ContentVerdict,
  usernameContent,
  type UsernameValidation,
  validateUsername,
  type ValidateUsernameOptions,
} from "./validate_username.ts";
export {
  RAW_MAX_CODE_POINTS,
  type UsernameCandidate,
  usernameCandidate,
  type UsernameCandidateOptions,
  type UsernameTier,
} from "./username_candidate.ts";
export { fallbackUsername } from "./fallback_username.ts";
export { GENERATED_ALPHABET, GENERATED_LENGTH, isSystemName, systemName } from "./system_names.ts";
export { isNumberLike } from "./number_like.ts";
export {
  PROTECTED_AFFIXES,
  type ProtectedNames,
  protectedNames,
  RESERVED_PROTECTED,
} from "./protected_names.ts";
export { protectedFold } from "./protected_fold.ts";
export {
  generatePublicId,
  isWellFormedPublicId,
  PUBLIC_ID_ALPHABET,
  PUBLIC_ID_LENGTH,
  PUBLIC_ID_PATTERN,
} from "./public_id.ts";
export { cryptoRandom, type RandomSource, seededRandom } from "./random.ts";
export {
  DISPLAY_NAME_MAX_CODE_POINTS,
  DISPLAY_NAME_RAW_MAX_CODE_POINTS,
  type SanitizedDisplayName,
  sanitizeDisplayName,
} from "./display_name.ts";
