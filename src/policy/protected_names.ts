/**
 * Protected names and their look-alikes. A name is refused as a look-alike of a protected one when
 * its protected fold (`protectedFold`: confusables, digits and symbols as letters, `rn` as `m`,
 * separators gone) equals the protected name's, allowing:
 *
 * - each letter repeated, for protected names of five letters or more (`suppport`, `aaadmin`);
 * - common affixes around it, any number (`official_support`, `the.real.admin`, `admin_team`);
 * - digits before or after it (`admin1`, `00admin`);
 * - for operator-given names of six letters or more, any text around it (`my_paypal_gifts`).
 *
 * Equality, not containment, for the built-in list: `root` stays claimable inside `degroot`.
 *
 * @module
 */

import { protectedFold } from "./protected_fold.ts";
import { RESERVED_NAMES } from "./reserved_names.ts";

/** Words that, around a protected name, still read as that name speaking (`official_admin`). */
export const PROTECTED_AFFIXES: readonly string[] = [
  "official",
  "real",
  "the",
  "team",
  "support",
  "staff",
  "hq",
  "help",
  "app",
  "bot",
  "its",
  "iam",
  "im",
  "og",
  "service",
  "desk",
  "center",
  "account",
  "verified",
  "main",
];

/** A compiled set of protected names that tells whether a name is a look-alike of one. */
export interface ProtectedNames {
  /** The protected name `name` resembles, or `null`. */
  resembles(name: string): string | null;
}

const EDGE_DIGITS = /^[0-9]+|[0-9]+$/g;
const REPEATS = /(.)\1+/g;
const LONG_ROOT = 5;
const CONTAINED_ROOT = 6;

function collapse(text: string): string {
  return text.replace(REPEATS, "$1");
}

class ProtectedNameSet implements ProtectedNames {
  readonly #roots = new Map<string, string>();
  readonly #collapsed = new Map<string, string>();
  readonly #contained: [string, string][] = [];
  readonly #affixes: string[];

  constructor(builtIn: Iterable<string>, given: Iterable<string>) {
    for (const name of builtIn) this.#add(name, false);
    for (const name of given) this.#add(name, true);
    this.#affixes = [...new Set(PROTECTED_AFFIXES.map(protectedFold))];
  }

  #add(name: string, contained: boolean): void {
    const key = protectedFold(name.toLowerCase());
    if (key.length === 0 || this.#roots.has(key)) return;
    this.#roots.set(key, name);
    if (key.length >= LONG_ROOT) this.#collapsed.set(collapse(key), name);
    if (contained && key.length >= CONTAINED_ROOT) this.#contained.push([key, name]);
  }

  resembles(name: string): string | null {
    const lower = name.toLowerCase();
    const key = protectedFold(lower);
    const found = this.#core(key);
    if (found !== null) return found;
    const trimmed = lower.replace(/[\s._\-]+/g, "").replace(EDGE_DIGITS, "");
    if (trimmed.length > 0 && trimmed.length < lower.length) {
      const inner = this.#core(protectedFold(trimmed));
      if (inner !== null) return inner;
    }
    for (const [root, original] of this.#contained) if (key.includes(root)) return original;
    return null;
  }

  /** The protected name `key` is, once affixes are peeled off either end, or `null`. */
  #core(key: string): string | null {
    const exact = this.#roots.get(key);
    if (exact !== undefined) return exact;
    if (key.length >= LONG_ROOT) {
      const repeated = this.#collapsed.get(collapse(key));
      if (repeated !== undefined) return repeated;
    }
    for (const affix of this.#affixes) {
      if (key.length <= affix.length) continue;
      if (key.startsWith(affix)) {
        const found = this.#core(key.slice(affix.length));
        if (found !== null) return found;
      }
      if (key.endsWith(affix)) {
        const found = this.#core(key.slice(0, key.length - affix.length));
        if (found !== null) return found;
      }
    }
    return null;
  }
}

/** The reserved names alone: what every check uses when no protected names are given. */
export const RESERVED_PROTECTED: ProtectedNames = new ProtectedNameSet(RESERVED_NAMES, []);

/** The reserved names plus the operator's `names` (`PROTECTED_NAMES`), compiled once. */
export function protectedNames(names: Iterable<string> = []): ProtectedNames {
  const given = [...names];
  return given.length === 0 ? RESERVED_PROTECTED : new ProtectedNameSet(RESERVED_NAMES, given);
}
