/**
 * Public IDs: the opaque, immutable identifier in profile URLs (`/u/{public_id}`). Random from the
 * injected source (the CSPRNG in production), never derived from the legacy id, the username, an
 * e-mail address or the time.
 *
 * @module
 */

import { customRandom } from "nanoid";
import { isProfane } from "./profanity.ts";
import { boundedRandom, type RandomSource } from "./random.ts";

/** nanoid-dictionary's `nolookalikesSafe`: no look-alikes, no vowels, no `3 4 x X V`. */
export const PUBLIC_ID_ALPHABET = "6789BCDFGHJKLMNPQRTWbcdfghjkmnpqrtwz";

/** 36^16 ≈ 2^82.7 possible IDs. */
export const PUBLIC_ID_LENGTH = 16;

/** The shape of a public ID; the database CHECK uses exactly this pattern. */
export const PUBLIC_ID_PATTERN = /^[6789BCDFGHJKLMNPQRTWbcdfghjkmnpqrtwz]{16}$/;

// A bound only a broken random source reaches: about 0.8% of fair draws are refused.
const MAX_RANDOM_CALLS = 1000;

/** Whether `text` has the shape of a public ID. */
export function isWellFormedPublicId(text: string): boolean {
  return PUBLIC_ID_PATTERN.test(text);
}

/** A new public ID from `random`, re-drawn while it spells something offensive (`…fck…`). */
export function generatePublicId(random: RandomSource): string {
  const draw = customRandom(
    PUBLIC_ID_ALPHABET,
    PUBLIC_ID_LENGTH,
    boundedRandom(random, MAX_RANDOM_CALLS),
  );
  for (;;) {
    const id = draw();
    if (!isProfane(id)) return id;
  }
}
