/** Valid, available names to offer when the one asked for cannot be had. */
import type { Transaction } from "kysely";
import type { Database } from "../../db/database.ts";
import {
  fallbackUsername,
  type ProtectedNames,
  type RandomSource,
  usernameCandidate,
  usernameSkeleton,
  validateUsername,
} from "../../policy/mod.ts";
import { nameConflicts } from "./name_conflicts.ts";

/** How many names are offered at most. */
export const MAX_SUGGESTIONS = 5;
const DRAWS_PER_ROUND = 12;
/**
 * The stem of suggestions when the wanted name gives none (reserved, profane, a payload): the
 * fallbacks the system draws itself (`user_…`) are in a namespace no one may request.
 */
const NEUTRAL_BASE = "person";
const ROUNDS = 3;

/**
 * Up to five names built from `wanted` (or a neutral stem) that pass the policy as a request
 * would and are free, look-alikes included.
 */
export async function suggestUsernames(
  trx: Transaction<Database>,
  wanted: string | null,
  options: { random: RandomSource; protectedNames: ProtectedNames; accountId?: string },
): Promise<string[]> {
  const candidate = wanted === null ? null : usernameCandidate(wanted, options);
  const base = candidate?.base ?? NEUTRAL_BASE;
  const found: string[] = [];
  const skeletons = new Set<string>();
  const tried = new Set<string>();
  for (let round = 0; round < ROUNDS && found.length < MAX_SUGGESTIONS; round++) {
    const names: string[] = [];
    for (let draw = 0; draw < DRAWS_PER_ROUND; draw++) {
      // The first draws stay close to the base; later ones vary more.
      const name = fallbackUsername(base, round * 2 + (draw % 3), options.random);
      if (tried.has(name)) continue;
      tried.add(name);
      if (validateUsername(name, options).valid) names.push(name);
    }
    const conflicts = await nameConflicts(trx, names, {
      accountId: options.accountId,
      lookalikes: true,
    });
    for (const name of names) {
      if (conflicts.get(name) !== null || found.length >= MAX_SUGGESTIONS) continue;
      // Two suggestions that look alike could not both be taken: offer one of them.
      const skeleton = usernameSkeleton(name);
      if (skeletons.has(skeleton)) continue;
      skeletons.add(skeleton);
      found.push(name);
    }
  }
  return found;
}
