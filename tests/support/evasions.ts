/**
 * Evasion transforms: the tricks a user tries to get a name that reads as a protected one past the
 * policy (`4dmin`, `adrnin`, `a.dmin`, `ADMIN`, `aadmin`, `official_admin`, `admin_01`, `аdmin`
 * with a Cyrillic `а`). Pure and seeded: the same seed gives the same variants. Shared by the
 * property test and `deno task audit:names`.
 *
 * @module
 */

/** Protected names the transforms are tried on: staff, system and mailbox words. */
export const PROTECTED_EXAMPLES: readonly string[] = [
  "admin",
  "root",
  "support",
  "moderator",
  "official",
  "help",
  "staff",
  "system",
  "security",
  "verified",
  "administrator",
  "webmaster",
  "postmaster",
  "everyone",
];

/** Names an operator protects on top of the reserved list (`PROTECTED_NAMES`). */
export const OPERATOR_NAMES: readonly string[] = ["paypal", "microsoft", "google", "github"];

/** A uniform draw in [0, 1). */
export type Chance = () => number;

/** A seeded `Chance` (mulberry32): the same seed, the same draws. */
export function seededChance(seed: number): Chance {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Digits and symbols read as letters. */
export const LEET: Readonly<Record<string, readonly string[]>> = {
  a: ["4", "@"],
  e: ["3"],
  i: ["1", "!"],
  l: ["1", "|"],
  o: ["0"],
  s: ["5", "$"],
  t: ["7"],
  b: ["8"],
  g: ["9"],
};

/** Letter pairs read as one letter. */
export const LETTER_PAIRS: Readonly<Record<string, string>> = { m: "rn", w: "vv", d: "cl" };

/** Cyrillic and Greek letters that look like Latin ones. */
export const HOMOGLYPHS: Readonly<Record<string, readonly string[]>> = {
  a: ["\u0430"],
  e: ["\u0435"],
  o: ["\u043e", "\u03bf"],
  p: ["\u0440"],
  c: ["\u0441"],
};

/** Words and digits put before a protected name. */
export const PREFIXES: readonly string[] = [
  "official_",
  "official.",
  "real",
  "real_",
  "the.",
  "the_",
];

/** Words and digits put after a protected name. */
export const SUFFIXES: readonly string[] = [
  "_team",
  ".team",
  "_support",
  "_staff",
  "_hq",
  "hq",
  "1",
  "_01",
  "42",
];

/** The kinds of evasion, one transform each. */
export const EVASION_KINDS = [
  "leet",
  "pair",
  "separator",
  "case",
  "repeat",
  "prefix",
  "suffix",
  "homoglyph",
] as const;

/** One kind of evasion. */
export type EvasionKind = typeof EVASION_KINDS[number];

function pick<T>(items: readonly T[], chance: Chance): T {
  return items[Math.floor(chance() * items.length)]!;
}

/** Replaces one letter that `table` knows (either case) by one of its replacements. */
function replaceOne(
  name: string,
  table: Readonly<Record<string, readonly string[]>>,
  chance: Chance,
): string {
  const chars = [...name];
  const positions = chars.flatMap((char, i) => table[char.toLowerCase()] ? [i] : []);
  if (positions.length === 0) return name;
  const at = pick(positions, chance);
  chars[at] = pick(table[chars[at]!.toLowerCase()]!, chance);
  return chars.join("");
}

const PAIR_TABLE = Object.fromEntries(
  Object.entries(LETTER_PAIRS).map(([letter, pair]) => [letter, [pair]]),
);
const LETTER = /^[a-z]$/i;

const TRANSFORMS: Readonly<Record<EvasionKind, (name: string, chance: Chance) => string>> = {
  leet: (name, chance) => replaceOne(name, LEET, chance),
  pair: (name, chance) => replaceOne(name, PAIR_TABLE, chance),
  homoglyph: (name, chance) => replaceOne(name, HOMOGLYPHS, chance),
  separator(name, chance) {
    const chars = [...name];
    if (chars.length < 2) return name;
    const at = 1 + Math.floor(chance() * (chars.length - 1));
    chars.splice(at, 0, pick([".", "_"], chance));
    return chars.join("");
  },
  case(name, chance) {
    if (chance() < 0.5) return name.toUpperCase();
    const chars = [...name].map((char) => chance() < 0.5 ? char.toUpperCase() : char);
    const changed = chars.join("");
    return changed === name ? name.charAt(0).toUpperCase() + name.slice(1) : changed;
  },
  repeat(name, chance) {
    const chars = [...name];
    const positions = chars.flatMap((char, i) => LETTER.test(char) ? [i] : []);
    if (positions.length === 0) return name;
    const at = pick(positions, chance);
    chars[at] = chars[at]!.repeat(chance() < 0.7 ? 2 : 3);
    return chars.join("");
  },
  prefix: (name, chance) => pick(PREFIXES, chance) + name,
  suffix: (name, chance) => name + pick(SUFFIXES, chance),
};

/** `name` with the evasions of `kinds` applied in order, each at a place `chance` draws. */
export function evade(name: string, kinds: readonly EvasionKind[], chance: Chance): string {
  return kinds.reduce((text, kind) => TRANSFORMS[kind](text, chance), name);
}

/** Options of `evasionVariants`. */
export interface EvasionVariantOptions {
  /** How many compositions to draw (duplicates and no-ops are dropped). Default 200. */
  count?: number;
  /** The longest composition, in transforms. Default 3. */
  maxSteps?: number;
  /** The seed of the draws. Default 1. */
  seed?: number;
}

/** A variant of a protected name and the evasions that made it, in order. */
export interface EvasionVariant {
  text: string;
  kinds: EvasionKind[];
}

/**
 * Distinct variants of `name`: every kind once, then random compositions of one to `maxSteps`
 * transforms. Never `name` itself; a variant made twice keeps its first recipe.
 */
export function evasionVariants(
  name: string,
  options: EvasionVariantOptions = {},
): EvasionVariant[] {
  const { count = 200, maxSteps = 3, seed = 1 } = options;
  const chance = seededChance(seed);
  const variants = new Map<string, EvasionKind[]>();
  const add = (kinds: EvasionKind[]) => {
    const text = evade(name, kinds, chance);
    if (text !== name && !variants.has(text)) variants.set(text, kinds);
  };
  for (const kind of EVASION_KINDS) add([kind]);
  for (let i = 0; i < count; i++) {
    const steps = 1 + Math.floor(chance() * maxSteps);
    add(Array.from({ length: steps }, () => pick(EVASION_KINDS, chance)));
  }
  return [...variants].map(([text, kinds]) => ({ text, kinds }));
}

const AFFIX_WORDS = [
  ...new Set([...PREFIXES, ...SUFFIXES].map((affix) => affix.replace(/[._]/g, ""))),
]
  .filter((word) => /^[a-z]+$/.test(word));
const READ_PAIRS = /rn|vv|cl/g;
const READ_PAIR: Readonly<Record<string, string>> = { rn: "m", vv: "w", cl: "d" };
const READ_CHAR: Readonly<Record<string, string>> = {
  "4": "a",
  "3": "e",
  "1": "i",
  "l": "i",
  "0": "o",
  "5": "s",
  "7": "t",
  "8": "b",
  "9": "g",
};

/** How a reader sees an ASCII name: separators gone, pairs and digits read as letters, repeats once. */
function reading(name: string): string {
  return name.toLowerCase().replace(/[._]/g, "").replace(READ_PAIRS, (pair) => READ_PAIR[pair]!)
    .replace(/[0-9l]/g, (char) => READ_CHAR[char] ?? char).replace(/(.)\1+/g, "$1");
}

/**
 * Whether the ASCII `username` still reads as `root` once the evasions are undone: the oracle for
 * a name the policy derived from a variant (`a..dmin` → `a.dmin` reads as `admin`). Affix words
 * and edge digits are peeled off either end.
 */
export function readsAs(username: string, root: string): boolean {
  const target = reading(root);
  const seen = new Set<string>();
  const queue = [username.toLowerCase().replace(/[._]/g, "")];
  while (queue.length > 0) {
    const text = queue.pop()!;
    if (text === "" || seen.has(text)) continue;
    seen.add(text);
    if (reading(text) === target) return true;
    queue.push(text.replace(/^[0-9]+/, ""), text.replace(/[0-9]+$/, ""));
    for (const word of AFFIX_WORDS) {
      if (text.startsWith(word)) queue.push(text.slice(word.length));
      if (text.endsWith(word)) queue.push(text.slice(0, text.length - word.length));
    }
  }
  return false;
}
