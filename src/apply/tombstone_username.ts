/**
 * The username a tombstone carries once its real name is on hold: `deleted_` and 10 random
 * characters, in the system's namespace, which no user may request or claim, so nobody can occupy
 * the name a deletion needs; random, so it reveals no account id and no count of deletions. A
 * collision (one in 19^10 per existing tombstone) only draws again.
 */
import { type RandomSource, systemName } from "../policy/mod.ts";

/** Draws after which every name was taken: a broken random source, not bad luck. */
export const TOMBSTONE_ATTEMPTS = 40;

/** A fresh tombstone name drawn from `random`; the caller draws again when it is taken. */
export function tombstoneUsername(random: RandomSource): string {
  return systemName("deleted", random);
}
