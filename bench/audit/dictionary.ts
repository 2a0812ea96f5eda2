/**
 * English dictionary words (`an-array-of-english-words`) that no loaded list calls reserved or
 * profane, sampled with a fixed seed: the benign set for the Scunthorpe problem.
 *
 * @module
 */

import words from "an-array-of-english-words/index.json" with { type: "json" };
import { isWellFormedUsername } from "../../src/policy/mod.ts";
import { seededChance } from "../../tests/support/evasions.ts";

/** Plain inflections: a listed term plus one of these is listed too (`fuckers`, `shitty`). */
const INFLECTIONS = ["", "s", "es", "ed", "er", "ers", "ing", "ings", "y"];

/** How many words the dictionary has. */
export const DICTIONARY_SIZE: number = words.length;

/**
 * Up to `size` well-formed words, sampled with `seed`, leaving out any word that is in `listed` or
 * is a listed term plus a plain inflection; and how many words were eligible.
 */
export function dictionarySample(
  size: number,
  seed: number,
  listed: ReadonlySet<string>,
): { words: string[]; eligible: number } {
  const isListed = (word: string) =>
    INFLECTIONS.some((ending) =>
      word.endsWith(ending) && listed.has(word.slice(0, word.length - ending.length))
    );
  const pool = words.filter((word) => isWellFormedUsername(word) && !isListed(word));
  if (size >= pool.length) return { words: pool, eligible: pool.length };
  // A partial Fisher–Yates shuffle: the first `size` places are a uniform sample.
  const chance = seededChance(seed);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(chance() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return { words: pool.slice(0, size), eligible: pool.length };
}
