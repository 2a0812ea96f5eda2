/**
 * The three public reserved-name lists, loaded from their packages (not from the policy, which
 * is what is judged), and the letter-only names at least two of them agree on: the system, route
 * and infrastructure words most worth refusing.
 *
 * @module
 */

import reservedUsernames from "reserved-usernames/data.json" with { type: "json" };
import githubReserved from "github-reserved-names/reserved-names.json" with { type: "json" };
import bigBlacklist from "the-big-username-blacklist";

/** The public reserved-name lists, by package. */
export const RESERVED_LISTS: Readonly<Record<string, readonly string[]>> = {
  "reserved-usernames": reservedUsernames,
  "github-reserved-names": githubReserved,
  "the-big-username-blacklist": bigBlacklist.list as string[],
};

const NAME_LETTERS = /^[a-z]{3,30}$/;

/** The letter-only names of 3–30 letters (lower-cased) that at least `quorum` lists contain. */
export function agreedReservedNames(quorum = 2): string[] {
  const votes = new Map<string, number>();
  for (const entries of Object.values(RESERVED_LISTS)) {
    for (const name of new Set(entries.map((entry) => entry.toLowerCase()))) {
      if (NAME_LETTERS.test(name)) votes.set(name, (votes.get(name) ?? 0) + 1);
    }
  }
  return [...votes].filter(([, count]) => count >= quorum).map(([name]) => name).sort();
}
