/**
 * Fallback usernames for accounts whose candidate was taken or that have none: `base_NNNN`, then
 * `base_NNNNNN` for popular bases, then `user_` + 10 random characters. The caller retries with
 * `attempt + 1` when the name turns out to be taken.
 *
 * @module
 */

import { customRandom } from "nanoid";
import { boundedRandom, type RandomSource } from "./random.ts";
import { systemName } from "./system_names.ts";
import { USERNAME_MAX_LENGTH } from "./username_shape.ts";
import { usernameContentReasons, validateUsername } from "./validate_username.ts";

/** Attempts below this use `base_NNNN`. */
export const SHORT_SUFFIX_ATTEMPTS = 5;

/** Attempts from `SHORT_SUFFIX_ATTEMPTS` to below this use `base_NNNNNN`; later ones `user_…`. */
export const BASED_ATTEMPTS = 10;

const DIGITS = "0123456789";
const SAFE_BASE = /^[a-z0-9]+(?:[._][a-z0-9]+)*$/;
const LETTER = /[a-z]/;
const TRAILING_SEPARATORS = /[._]+$/;
// A bound only a broken random source reaches.
const MAX_RANDOM_CALLS = 1000;

function generatedName(random: RandomSource): string {
  for (;;) {
    // Without f and vowels no draw was refused in 200,000; the check stays as the guarantee.
    const name = systemName("user", random);
    if (validateUsername(name, { system: true }).valid) return name;
  }
}

/**
 * The last base judged, and the judgement: a pure function of the base, and fallbacks are drawn in
 * runs of one base (the accounts of a popular name), so the content check runs once a run.
 */
let lastBase: string | null = null;
let lastBaseUsable = false;

/** A base is usable when it has the username charset, a letter, and is not refused on content. */
function isUsableBase(base: string): boolean {
  if (base === lastBase) return lastBaseUsable;
  const usable = base.length <= USERNAME_MAX_LENGTH && SAFE_BASE.test(base) && LETTER.test(base) &&
    usernameContentReasons(base).length === 0;
  lastBase = base;
  lastBaseUsable = usable;
  return usable;
}

/**
 * A valid fallback username built from `base` for this `attempt` (0, 1, 2…), with random digits
 * or characters from `random`. A `null` or unusable base gives `user_` + 10 random characters.
 */
export function fallbackUsername(
  base: string | null,
  attempt: number,
  random: RandomSource,
): string {
  const source = boundedRandom(random, MAX_RANDOM_CALLS);
  if (base !== null && attempt < BASED_ATTEMPTS && isUsableBase(base)) {
    const digits = attempt < SHORT_SUFFIX_ATTEMPTS ? 4 : 6;
    const stem = base.slice(0, USERNAME_MAX_LENGTH - 1 - digits).replace(TRAILING_SEPARATORS, "");
    const draw = customRandom(DIGITS, digits, source);
    // A few draws: a suffix can make a name profane or phone-shaped; then the base is not usable.
    for (let i = 0; i < 5; i++) {
      const name = `${stem}_${draw()}`;
      if (validateUsername(name).valid) return name;
    }
  }
  return generatedName(source);
}
