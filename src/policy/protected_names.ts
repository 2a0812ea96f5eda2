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

import { type Automaton, buildAutomaton, step, symbolOf } from "./keyword_automaton.ts";
import { collapseRuns, looseProtectedFold, protectedFold } from "./protected_fold.ts";
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
const SEPARATOR_RUNS = /[\s._\-]+/g;
const TOKENS = /[^\s._\-]+/g;
const ALL_DIGITS = /^[0-9]+$/;
const TRAILING_DIGITS = /[0-9]+$/;
const LEADING_DIGITS = /^[0-9]+/;
const DIGIT_RUNS = /[0-9]+/g;
const DIGIT_PAIR = /c[1|]/i;
const DIGIT_PAIR_ALL = /c[1|]/gi;
const AFFIXED_ROOT = 4;
const REPEATED_ROOT = 4;
const CONTAINED_ROOT = 6;

/**
 * The readings of `name` with its numbers taken out, for `admin1`, `help42_staff`,
 * `admin_01_team` and `007admin`, while a digit that is a letter stays (`r0o71` is `r0o7`,
 * `4dmin1` is `4dmin`, `suppor.71` is `suppor7`): the trailing run cut; tokens that are all digits
 * dropped; each token's trailing run cut, then its leading run too; each run of the name taken out
 * or cut to its first digit; every cut of the trailing run. Lazily, most useful first, each once.
 */
function* withoutNumbers(name: string): Generator<string> {
  const seen = new Set<string>([""]);
  const fresh = (variant: string): boolean => {
    if (seen.has(variant)) return false;
    seen.add(variant);
    return true;
  };
  const written = name.match(TOKENS) ?? [];
  const joined = written.join("");
  const trailing = TRAILING_DIGITS.exec(joined)?.[0] ?? "";
  const untrailed = joined.slice(0, joined.length - trailing.length);
  if (fresh(untrailed)) yield untrailed;
  const tokens = written.filter((token) => !ALL_DIGITS.test(token));
  const noTrailing = tokens.map((token) => token.replace(TRAILING_DIGITS, ""));
  const noEdges = noTrailing.map((token) => token.replace(LEADING_DIGITS, ""));
  for (const variant of [tokens, noTrailing, noEdges].map((t) => t.join(""))) {
    if (fresh(variant)) yield variant;
  }
  // Each run of digits on its own: taken out, or cut to its first digit (a leet letter before a
  // number: `adm1n1hq` is `adm1nhq`, `roo7_01hq` is `roo7hq`).
  const runs = [...joined.matchAll(DIGIT_RUNS)];
  for (const run of runs) {
    const before = joined.slice(0, run.index);
    const after = joined.slice(run.index + run[0].length);
    for (const variant of [before + after, before + run[0][0] + after]) {
      if (fresh(variant)) yield variant;
    }
  }
  if (runs.length > 1) {
    // Numbers on both sides of an affix (`admin42hq1`): every run out, or all but one cut to its
    // first digit.
    const none = joined.replace(DIGIT_RUNS, "");
    if (fresh(none)) yield none;
    for (const kept of runs) {
      const one = joined.replace(DIGIT_RUNS, (digits, at) => at === kept.index ? digits[0]! : "");
      if (fresh(one)) yield one;
    }
  }
  // Every cut of the trailing run: leet digits before a number (`r0071` is `r007`, then `root`).
  for (let keep = 1; keep < trailing.length; keep++) {
    const cut = joined.slice(0, joined.length - trailing.length + keep);
    if (fresh(cut)) yield cut;
  }
}

/** The readings of a name with digits: `c1` as `d` (see below), and its numbers taken out. */
function* numberReadings(name: string): Generator<string> {
  const pairs = withDigitPairs(name);
  yield* pairs;
  yield* withoutNumbers(name);
  for (const paired of pairs) yield* withoutNumbers(paired);
}

/** `ac1min` read with `c1` as `d`; the main fold reads it as `ci` (`0ff1c1al`). */
function withDigitPairs(name: string): string[] {
  const joined = name.replace(SEPARATOR_RUNS, "");
  return DIGIT_PAIR.test(joined) ? [joined.replace(DIGIT_PAIR_ALL, "d")] : [];
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
  readonly #loose = new Map<string, string>();
  /** Loose forms of the names that can match beyond equality, for the prefilter. */
  readonly #looseCores = new Set<string>();
  /** Their fold where the loose form is too short to search for (`www` is `v`). */
  readonly #shortCores: string[] = [];
  readonly #contained: [string, string][] = [];
  readonly #affixes: string[];
  readonly #affixHeads: Set<string>;
  readonly #affixTails: Set<string>;
  readonly #collapsedAffixes: string[];
  /**
   * Every name that can match beyond equality, in its loose form: a name in none of whose loose
   * readings any of these occurs resembles nothing, which most names show in one pass.
   */
  readonly #prefilter: Automaton | null;

  constructor(builtIn: Iterable<string>, given: Iterable<string>) {
    for (const name of builtIn) this.#add(name, false);
    for (const name of given) this.#add(name, true);
    this.#affixes = [...new Set(PROTECTED_AFFIXES.map(protectedFold))];
    // Every affix is two letters or more: its first and last two say quickly whether to peel.
    this.#affixHeads = new Set(this.#affixes.map((affix) => affix.slice(0, 2)));
    this.#affixTails = new Set(this.#affixes.map((affix) => affix.slice(-2)));
    this.#collapsedAffixes = [...new Set(PROTECTED_AFFIXES.map(looseProtectedFold))];
    const cores = [...this.#looseCores];
    const searchable = cores.every((core) => /^[a-z0-9]+$/.test(core));
    this.#prefilter = searchable ? buildAutomaton(cores) : null;
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
    const loose = looseProtectedFold(lower);
    if (affixable || contained) {
      // Loose forms of three letters or more (`rot` for `rooot`); shorter ones would pass
      // nearly every name, so those few are looked for by their fold.
      if (loose.length >= 3) this.#looseCores.add(loose);
      else this.#shortCores.push(key);
    }
    const collapsed = collapseRuns(key);
    if (key.length >= REPEATED_ROOT && affixable && !this.#collapsed.has(collapsed)) {
      this.#collapsed.set(collapsed, { name, length: key.length });
      if (!this.#loose.has(loose)) this.#loose.set(loose, name);
    }
    if (contained && key.length >= CONTAINED_ROOT) this.#contained.push([key, name]);
  }

  resembles(name: string): string | null {
    const key = protectedFold(name);
    const exact = this.#roots.get(key);
    if (exact !== undefined) return exact.name;
    if (!this.#mayResemble(name, key)) return null;
    const found = this.#lookup(key, false) ?? this.#peeled(key, new Set());
    if (found !== null) return found;
    const numbered: string[] = [];
    if (DIGIT.test(name)) {
      for (const variant of numberReadings(name)) {
        numbered.push(variant);
        const inner = protectedFold(variant);
        const digitsOff = this.#lookup(inner, true) ?? this.#peeled(inner, new Set());
        if (digitsOff !== null) return digitsOff;
      }
    }
    const joined = name.toLowerCase().replace(SEPARATOR_RUNS, "");
    if (hasDoubledLetter(joined) || hasDoubledLetter(key)) {
      // Repeats anywhere, affixes included (`tthe_staff`, `systernnn`): every run of a letter
      // read as one letter, written and folded, against protected names of four letters or more.
      for (const variant of [name, ...numbered]) {
        const repeated = this.#peeledLoosely(looseProtectedFold(variant), new Set()) ??
          this.#digitPairLoosely(variant);
        if (repeated !== null) return repeated;
      }
    }
    for (const [root, original] of this.#contained) if (key.includes(root)) return original;
    return null;
  }

  /**
   * Whether some protected name that can match beyond equality occurs in a loose reading of
   * `name` (repeats collapsed, digits as letters), or, for the few too short for that, in `key`.
   */
  #mayResemble(name: string, key: string): boolean {
    const automaton = this.#prefilter;
    if (automaton === null) return true;
    for (const core of this.#shortCores) if (key.includes(core)) return true;
    const readings = [looseProtectedFold(name)];
    const joined = name.toLowerCase().replace(SEPARATOR_RUNS, "");
    if (DIGIT_PAIR.test(collapseRuns(joined))) {
      readings.push(looseProtectedFold(collapseRuns(joined).replace(DIGIT_PAIR_ALL, "d")));
    }
    for (const reading of readings) {
      let state = 0;
      for (let i = 0; i < reading.length; i++) {
        state = step(automaton, state, symbolOf(reading.charCodeAt(i)));
        if (automaton.output[state]! >= 0 || automaton.outputLink[state]! > 0) return true;
      }
    }
    return false;
  }

  /** `accc1min`: the repeats collapsed first, then `c1` read as `d`. */
  #digitPairLoosely(variant: string): string | null {
    const collapsed = collapseRuns(variant.toLowerCase());
    if (!DIGIT_PAIR.test(collapsed)) return null;
    return this.#peeledLoosely(
      looseProtectedFold(collapsed.replace(DIGIT_PAIR_ALL, "d")),
      new Set(),
    );
  }

  /** Like `#peeled`, on a key whose letter runs are collapsed, against collapsed names. */
  #peeledLoosely(key: string, seen: Set<string>): string | null {
    const root = this.#loose.get(key);
    if (root !== undefined) return root;
    if (seen.has(key)) return null;
    seen.add(key);
    for (const affix of this.#collapsedAffixes) {
      if (key.length <= affix.length) continue;
      // Collapsing can merge the letter an affix and the name share (`the`+`everyone`): try the
      // rest with and without that letter.
      if (key.startsWith(affix)) {
        for (const rest of [key.slice(affix.length), key.slice(affix.length - 1)]) {
          const found = this.#peeledLoosely(rest, seen);
          if (found !== null) return found;
        }
      }
      if (key.endsWith(affix)) {
        const cut = key.length - affix.length;
        for (const rest of [key.slice(0, cut), key.slice(0, cut + 1)]) {
          const found = this.#peeledLoosely(rest, seen);
          if (found !== null) return found;
        }
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
    const repeated = this.#collapsed.get(collapseRuns(key));
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
