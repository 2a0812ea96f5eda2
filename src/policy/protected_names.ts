/**
 * Protected names and their look-alikes. A name is refused as a look-alike of a protected one when
 * its protected fold (`protectedFold`: confusables, digits and symbols as letters, `rn` as `m`,
 * separators gone) equals the protected name's, allowing:
 *
 * - each letter repeated, for protected names of four letters or more (`suppport`, `rooot`);
 * - common affixes around it, any number (`official_support`, `the.real.admin`, `admin_team`),
 *   and numbers before, after or between them (`admin1`, `00admin`, `help42_staff`; a digit that
 *   reads as a letter stays one: `r0o71` is `root`), for protected names of four letters or
 *   more and a few short staff words (`mod_team`): around a shorter word, affixes make ordinary
 *   words (`them`, `realm`);
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

/** Short protected names that still get affixes and digits: staff and infrastructure words. */
const SHORT_ROOTS_WITH_AFFIXES = new Set(["mod", "sys", "ops", "api", "noc", "www", "ftp", "dns"]);

const DIGIT = /[0-9]/;
const TOKENS = /[^\s._\-]+/g;
const ALL_DIGITS = /^[0-9]+$/;
const TRAILING_DIGITS = /[0-9]+$/;
const LEADING_DIGITS = /^[0-9]+/;
const REPEATS = /(.)\1+/g;
const AFFIXED_ROOT = 4;
const REPEATED_ROOT = 4;
const CONTAINED_ROOT = 6;

function collapse(text: string): string {
  return text.replace(REPEATS, "$1");
}

/**
 * The readings of `name` with its numbers taken out, for `admin1`, `help42_staff`,
 * `admin_01_team` and `007admin`, while a digit that is a letter stays (`r0o71` is `r0o7`,
 * `4dmin1` is `4dmin`): tokens that are all digits dropped; then each token's trailing run cut
 * to its first digit, or cut whole; then leading runs cut too.
 */
function withoutNumbers(name: string): string[] {
  const tokens = (name.match(TOKENS) ?? []).filter((token) => !ALL_DIGITS.test(token));
  const firstDigit = tokens.map((token) => token.replace(TRAILING_DIGITS, (digits) => digits[0]!));
  const noTrailing = tokens.map((token) => token.replace(TRAILING_DIGITS, ""));
  const noEdges = noTrailing.map((token) => token.replace(LEADING_DIGITS, ""));
  const variants = new Set([tokens, firstDigit, noTrailing, noEdges].map((t) => t.join("")));
  variants.delete("");
  return [...variants];
}

function hasDoubledLetter(text: string): boolean {
  for (let i = 1; i < text.length; i++) {
    if (text.charCodeAt(i) === text.charCodeAt(i - 1)) return true;
  }
  return false;
}

interface Root {
  name: string;
  /** Whether affixes and digits around it still make a look-alike. */
  affixable: boolean;
}

class ProtectedNameSet implements ProtectedNames {
  readonly #roots = new Map<string, Root>();
  readonly #collapsed = new Map<string, { name: string; length: number }>();
  readonly #contained: [string, string][] = [];
  readonly #affixes: string[];
  readonly #affixHeads: Set<string>;
  readonly #affixTails: Set<string>;
  readonly #collapsedAffixes: string[];

  constructor(builtIn: Iterable<string>, given: Iterable<string>) {
    for (const name of builtIn) this.#add(name, false);
    for (const name of given) this.#add(name, true);
    this.#affixes = [...new Set(PROTECTED_AFFIXES.map(protectedFold))];
    // Every affix is two letters or more: its first and last two say quickly whether to peel.
    this.#affixHeads = new Set(this.#affixes.map((affix) => affix.slice(0, 2)));
    this.#affixTails = new Set(this.#affixes.map((affix) => affix.slice(-2)));
    this.#collapsedAffixes = [...new Set(this.#affixes.map(collapse))];
  }

  #add(name: string, contained: boolean): void {
    const lower = name.toLowerCase();
    // A name with digits (`com1`, `pop3`) is reserved as spelled: folded, its digits would read
    // as letters and make ordinary words its look-alikes (`come`, `pope`).
    if (DIGIT.test(lower)) return;
    const key = protectedFold(lower);
    if (key.length === 0 || this.#roots.has(key)) return;
    const affixable = key.length >= AFFIXED_ROOT || SHORT_ROOTS_WITH_AFFIXES.has(lower);
    const root = { name, affixable };
    this.#roots.set(key, root);
    // A doubled `v` folds to `w`: `vverified` must still be `verified`.
    for (let at = lower.indexOf("v"); at >= 0; at = lower.indexOf("v", at + 1)) {
      const alias = protectedFold(lower.slice(0, at) + "v" + lower.slice(at));
      if (!this.#roots.has(alias)) this.#roots.set(alias, root);
    }
    if (key.length >= REPEATED_ROOT && affixable && !this.#collapsed.has(collapse(key))) {
      this.#collapsed.set(collapse(key), { name, length: key.length });
    }
    if (contained && key.length >= CONTAINED_ROOT) this.#contained.push([key, name]);
  }

  resembles(name: string): string | null {
    const key = protectedFold(name);
    const found = this.#lookup(key, false) ?? this.#peeled(key, new Set());
    if (found !== null) return found;
    if (DIGIT.test(name)) {
      for (const variant of withoutNumbers(name)) {
        const inner = protectedFold(variant);
        const digitsOff = this.#lookup(inner, true) ?? this.#peeled(inner, new Set());
        if (digitsOff !== null) return digitsOff;
      }
    }
    if (hasDoubledLetter(name) || hasDoubledLetter(key)) {
      // Repeats anywhere, affixes included (`tthe_staff`, `systernnn`): every run of a letter
      // read as one letter, written and folded, against protected names of four letters or more.
      for (const variant of [name, ...(DIGIT.test(name) ? withoutNumbers(name) : [])]) {
        const loose = collapse(protectedFold(collapse(variant.toLowerCase())));
        const repeated = this.#peeledLoosely(loose, new Set());
        if (repeated !== null) return repeated;
      }
    }
    for (const [root, original] of this.#contained) if (key.includes(root)) return original;
    return null;
  }

  /** Like `#peeled`, on a key whose letter runs are collapsed, against collapsed names. */
  #peeledLoosely(key: string, seen: Set<string>): string | null {
    const root = this.#collapsed.get(key);
    if (root !== undefined) return root.name;
    if (seen.has(key)) return null;
    seen.add(key);
    for (const affix of this.#collapsedAffixes) {
      if (key.length <= affix.length) continue;
      if (key.startsWith(affix)) {
        const found = this.#peeledLoosely(collapse(key.slice(affix.length)), seen);
        if (found !== null) return found;
      }
      if (key.endsWith(affix)) {
        const found = this.#peeledLoosely(collapse(key.slice(0, key.length - affix.length)), seen);
        if (found !== null) return found;
      }
    }
    return null;
  }

  /** The protected name `key` folds to, itself or with letters repeated; `null` if none. */
  #lookup(key: string, peeled: boolean): string | null {
    const root = this.#roots.get(key);
    if (root !== undefined && (!peeled || root.affixable)) return root.name;
    if (key.length < REPEATED_ROOT || !hasDoubledLetter(key)) return null;
    // Letters repeated, never removed: `suppport` is `support`, `suport` is not.
    const repeated = this.#collapsed.get(collapse(key));
    return repeated !== undefined && key.length >= repeated.length ? repeated.name : null;
  }

  /** The protected name left once affixes are peeled off either end of `key`; `null` if none. */
  #peeled(key: string, seen: Set<string>): string | null {
    const atEdge = this.#affixHeads.has(key.slice(0, 2)) || this.#affixTails.has(key.slice(-2));
    if (!atEdge || seen.has(key)) return null;
    seen.add(key);
    for (const affix of this.#affixes) {
      if (key.length <= affix.length) continue;
      for (
        const rest of [
          key.startsWith(affix) ? key.slice(affix.length) : null,
          key.endsWith(affix) ? key.slice(0, key.length - affix.length) : null,
        ]
      ) {
        if (rest === null) continue;
        const found = this.#lookup(rest, true) ?? this.#peeled(rest, seen);
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
