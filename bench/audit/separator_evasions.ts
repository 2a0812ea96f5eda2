/**
 * Separator and leet evasion forms of a profanity term, as users write them to slip past a
 * filter: `f.u.c.k`, `f_u_c_k`, `fu_ck`, `the_fuck_guy`, `the.fuck.guy`, `fuck_123`, `sh1t`.
 *
 * @module
 */

import { isWellFormedUsername } from "../../src/policy/mod.ts";

/** The kinds of evasion form. */
export const SEPARATOR_EVASION_KINDS = [
  "dotted",
  "underscored",
  "split",
  "the_X_guy",
  "the.X.guy",
  "X_123",
  "leet",
] as const;

/** One kind of evasion form. */
export type SeparatorEvasionKind = typeof SEPARATOR_EVASION_KINDS[number];

/** The first leetable letter becomes this digit (`shit` → `sh1t`). */
const LEET_DIGIT: Readonly<Record<string, string>> = {
  a: "4",
  e: "3",
  i: "1",
  l: "1",
  o: "0",
  s: "5",
  t: "7",
  b: "8",
  g: "9",
};

const FORMS: Readonly<Record<SeparatorEvasionKind, (term: string) => string>> = {
  dotted: (term) => [...term].join("."),
  underscored: (term) => [...term].join("_"),
  split: (term) =>
    `${term.slice(0, Math.ceil(term.length / 2))}_${term.slice(Math.ceil(term.length / 2))}`,
  "the_X_guy": (term) => `the_${term}_guy`,
  "the.X.guy": (term) => `the.${term}.guy`,
  "X_123": (term) => `${term}_123`,
  leet: (term) => term.replace(/[aeilostbg]/, (letter) => LEET_DIGIT[letter]!),
};

const SINGLE_WORD = /^[a-z]{3,}$/;

/**
 * The well-formed evasion form of `kind` for the letter-only `term`, or `null` when the term has
 * none (not letters only, too long, or nothing to leet).
 */
export function separatorEvasion(term: string, kind: SeparatorEvasionKind): string | null {
  if (!SINGLE_WORD.test(term)) return null;
  const form = FORMS[kind](term);
  return form !== term && isWellFormedUsername(form) ? form : null;
}
