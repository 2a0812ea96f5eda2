/**
 * Names the system hands out on its own: generated fallbacks (`user_…`) and tombstones
 * (`deleted_…`). Both are random, so they reveal nothing (no account id, no count of deletions),
 * and both live in a namespace no user may request or claim, so nobody can occupy a name another
 * account's deletion or fallback needs.
 *
 * @module
 */

import { customRandom } from "nanoid";
import type { RandomSource } from "./random.ts";

/** Lower-case, vowel-free and without look-alikes (`0 1 l o`…), nor `f`, so it spells no words. */
export const GENERATED_ALPHABET = "6789bcdghjkmnpqrtwz";

/** The length of the random part of a system name: 19^10 ≈ 2^42.5 names per prefix. */
export const GENERATED_LENGTH = 10;

const SYSTEM_NAME = /^(?:user|deleted)_[6789bcdghjkmnpqrtwz]{10}$/;

/** Whether `name` is in the system's own namespace (`user_…`, `deleted_…` + 10 random chars). */
export function isSystemName(name: string): boolean {
  return name.length === 15 || name.length === 18 ? SYSTEM_NAME.test(name) : false;
}

/** A random name in the system namespace with `prefix`; the caller redraws on a collision. */
export function systemName(prefix: "user" | "deleted", random: RandomSource): string {
  return `${prefix}_${customRandom(GENERATED_ALPHABET, GENERATED_LENGTH, random)()}`;
}
