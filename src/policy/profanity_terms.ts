/**
 * The term table of the profanity check, built once from the published lists: every entry turned
 * into ASCII (`any-ascii`, so `хуй` is `khui`), cut into words, folded like a name is, and given
 * the ways it may match (research rules 5–8):
 * - `WHOLE`: the whole name, separators removed, is the term (every entry);
 * - `TOKEN`: a word of the name is the term, or a run of 1–2-letter words (`f.u.c.k`);
 * - `PHRASE`: a multi-word entry across words of the name (`2_girls_1_cup`);
 * - `INSIDE`: anywhere inside a word (entries of five letters or more that no ordinary word holds);
 * - `PREFIX`: at the start of a word (`shitlord`; curated, since `harshit` holds one too);
 * - `ALLOW`: an ordinary word; a match inside it does not count.
 *
 * @module
 */

import anyAscii from "any-ascii";
import {
  ALLOWED_WORDS,
  INSIDE_TERMS,
  NEVER_TERMS,
  PREFIX_TERMS,
  WHOLE_NAME_TERMS,
  WORD_ONLY_TERMS,
} from "./profanity_exceptions.ts";
import { foldWord, type Reading, READINGS } from "./profanity_fold.ts";
import { PROFANITY_SOURCES } from "./profanity_sources.ts";

/** A term as reported: its ASCII form (words joined by `_`) and the language of its list. */
export interface ProfanityTerm {
  /** The entry in ASCII, lower case, words joined by `_`. */
  readonly term: string;
  /** The language of the list it came from (BCP 47). */
  readonly language: string;
}

/** Match kinds, as bit flags of a key. */
export const MatchKind = {
  WHOLE: 1,
  TOKEN: 2,
  PHRASE: 4,
  INSIDE: 8,
  ALLOW: 16,
  PREFIX: 32,
} as const;

/** The folded keys the automaton is built from, with their match kinds and reported terms. */
export interface TermTable {
  /** Folded keys of `a-z 0-9`. */
  readonly keys: readonly string[];
  /** Per key, its `MatchKind` flags. */
  readonly kinds: Uint8Array;
  /** Per key, the term it reports (null for allowed words). */
  readonly terms: readonly (ProfanityTerm | null)[];
}

/** Words shorter than this match only whole or as a token, never inside a longer word. */
const INSIDE_MIN_LENGTH = 5;

const HAN_HANGUL_ONLY = /^[\u3400-\u9fff\uac00-\ud7af]+$/;

/**
 * Whether an entry written only in Chinese characters or Hangul has fewer than three syllables: without tones,
 * `干` is `gan` and `强奸` is `qiangjian`, which are everyday syllables of given names.
 */
function isShortHanOrHangul(entry: string): boolean {
  return HAN_HANGUL_ONLY.test(entry) && (anyAscii(entry).match(/[A-Z]/g)?.length ?? 0) < 3;
}

/** The ASCII words of a list entry (`Hurensöhne` → `hurensohne`; `do piče` → `do`, `pice`). */
export function entryWords(entry: string): string[] {
  return anyAscii(entry).toLowerCase().split(/[^a-z0-9]+/).filter((word) => word !== "");
}

/** The English lists an entry is in (an entry two lists agree on may match inside a word). */
function englishVotes(): Map<string, number> {
  const votes = new Map<string, number>();
  for (const { list, language, entries } of PROFANITY_SOURCES) {
    if (language !== "en") continue;
    for (const key of new Set(entries.map((entry) => entryWords(entry).join("")))) {
      votes.set(key, (votes.get(key) ?? 0) + 1);
    }
    void list;
  }
  return votes;
}

/** The readings of an entry: Arabic chat-alphabet digits are letters (`3ars`), never leet. */
function readingsOf(language: string, joined: string): readonly Reading[] {
  return language === "ar-Latn" && /[0-9]/.test(joined) ? ["digits"] : READINGS;
}

/** Builds the term table from every list and the judgement calls. */
export function buildTermTable(): TermTable {
  const index = new Map<string, number>();
  const keys: string[] = [];
  const kinds: number[] = [];
  const terms: (ProfanityTerm | null)[] = [];
  const add = (key: string, kind: number, term: ProfanityTerm | null) => {
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, keys.length);
      keys.push(key);
      kinds.push(kind);
      terms.push(term);
    } else {
      kinds[at]! |= kind;
      terms[at] ??= term;
    }
  };
  const votes = englishVotes();
  for (const { language, entries } of PROFANITY_SOURCES) {
    for (const entry of entries) {
      if (isShortHanOrHangul(entry)) continue;
      const words = entryWords(entry);
      const raw = words.join("");
      const term = { term: words.join("_"), language };
      const agreed = language === "en" && (votes.get(raw) ?? 0) >= 2;
      for (const reading of readingsOf(language, raw)) {
        const joined = foldWord(raw, reading);
        if (joined.length < 3 || /^[0-9]+$/.test(joined) || NEVER_TERMS.has(joined)) continue;
        if (WHOLE_NAME_TERMS.has(joined)) {
          add(joined, MatchKind.WHOLE, term);
          continue;
        }
        const inside = INSIDE_TERMS.has(joined) ||
          (words.length === 1 && joined.length >= INSIDE_MIN_LENGTH && agreed &&
            !WORD_ONLY_TERMS.has(joined));
        const kind = MatchKind.WHOLE | MatchKind.TOKEN | (inside ? MatchKind.INSIDE : 0);
        add(joined, kind, term);
        // `fvck`: a `v` for a `u`, in English terms only (`chav` is a word, `chau` a name).
        if (language === "en" && joined.includes("u")) add(joined.replaceAll("u", "v"), kind, term);
        if (words.length > 1) {
          add(words.map((word) => foldWord(word, reading)).join(""), MatchKind.PHRASE, term);
        }
      }
    }
  }
  // The curated roots refused anywhere (`fck` of a public ID is in no list).
  const anywhere = MatchKind.WHOLE | MatchKind.TOKEN | MatchKind.INSIDE;
  for (const word of INSIDE_TERMS) add(word, anywhere, { term: word, language: "en" });
  for (const word of PREFIX_TERMS) add(word, MatchKind.PREFIX, { term: word, language: "en" });
  for (const word of ALLOWED_WORDS) add(word, MatchKind.ALLOW, null);
  return { keys, kinds: Uint8Array.from(kinds), terms };
}
