/**
 * Profanity and hate terms in 28 languages (see `profanity_terms.ts`), matched in one pass of an
 * Aho–Corasick automaton over the name folded as the check reads it (`profanity_fold.ts`): words
 * are the runs between separators, leet is read as letters, and each match is kept only if it
 * sits where its kind allows (a whole word, a run of 1–2-letter words, the whole name, or inside
 * a word for long unambiguous terms) and not inside an allowed ordinary word (`scunthorpe`).
 *
 * @module
 */

import { type Automaton, buildAutomaton } from "./keyword_automaton.ts";
import { FOLD_TABLE, NOT_WORD, type Reading } from "./profanity_fold.ts";
import { buildTermTable, MatchKind, type ProfanityTerm } from "./profanity_terms.ts";

export type { ProfanityTerm } from "./profanity_terms.ts";

const TABLE = buildTermTable();
const AUTOMATON: Automaton = buildAutomaton(TABLE.keys);
const KEY_LENGTH = Int32Array.from(TABLE.keys, (key) => key.length);

/** Words of at most this many characters join up as one (`f.u.c.k`, `fu_ck`). */
const SHORT_WORD = 2;

// Scratch space for one folded name, reused: the check is synchronous and allocates nothing.
let capacity = 0;
let symbols = new Uint8Array(0);
let wordOf = new Int32Array(0);
let startOk = new Uint8Array(0);
let endOk = new Uint8Array(0);
let shortWords = new Int32Array(0);

function reserve(length: number): void {
  if (length <= capacity) return;
  capacity = Math.max(64, length * 2);
  symbols = new Uint8Array(capacity);
  wordOf = new Int32Array(capacity);
  startOk = new Uint8Array(capacity + 1);
  endOk = new Uint8Array(capacity + 1);
  shortWords = new Int32Array(capacity + 1);
}

const DIGITS = FOLD_TABLE.digits;

// Set by each fold: whether a word holds a `1`, or any digit, so other readings could differ.
let oneInWord = false;
let digitInWord = false;

/** Folds `text` into the scratch arrays as `reading` reads it and returns its length. */
function fold(text: string, reading: Reading): number {
  reserve(text.length);
  const table = FOLD_TABLE[reading];
  let n = 0;
  let word = 0;
  oneInWord = false;
  digitInWord = false;
  startOk.fill(0, 0, text.length + 1);
  endOk.fill(0, 0, text.length + 1);
  for (let i = 0; i < text.length;) {
    let code = text.charCodeAt(i);
    if (code >= 128 || table[code] === NOT_WORD) {
      i++;
      continue;
    }
    // One word: text[i, end). Digits at its ends are a number unless the word is all digits.
    let end = i;
    let letters = 0;
    while (end < text.length && (code = text.charCodeAt(end)) < 128 && table[code] !== NOT_WORD) {
      if (code < 48 || code > 57) letters++;
      end++;
    }
    let lead = i;
    while (lead < end && isDigit(text.charCodeAt(lead))) lead++;
    let trail = end;
    while (trail > lead && isDigit(text.charCodeAt(trail - 1))) trail--;
    // Two or more digits at the end are a number (`doe42`), a single one may be leet (`b00b5`).
    const number = end - trail >= 2 ? trail : end;
    const first = n;
    startOk[n] = 1;
    for (let j = i; j < end; j++) {
      if (j === lead && letters > 0) startOk[n] = 1;
      if (j === trail && letters > 0) endOk[n] = 1;
      code = text.charCodeAt(j);
      if (letters === 0 || j >= number) {
        symbols[n] = DIGITS[code]!;
      } else {
        if (isDigit(code)) {
          digitInWord = true;
          if (code === 49) oneInWord = true;
        }
        symbols[n] = table[code]!;
      }
      wordOf[n++] = word;
    }
    endOk[n] = 1;
    shortWords[word + 1] = shortWords[word]! + (n - first <= SHORT_WORD ? 1 : 0);
    word++;
    i = end;
  }
  return n;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Whether key `key` at `[start, end)` of the folded name of length `n` sits where it may. */
function placed(key: number, start: number, end: number, n: number): boolean {
  const kinds = TABLE.kinds[key]!;
  if ((kinds & MatchKind.WHOLE) !== 0 && start === 0 && end === n) return true;
  const first = wordOf[start]!;
  const last = wordOf[end - 1]!;
  // Every word the match touches is short: `f.u.c.k`, `fu_ck`.
  const acrossShort = first === last ||
    shortWords[last + 1]! - shortWords[first]! === last - first + 1;
  if ((kinds & MatchKind.INSIDE) !== 0 && acrossShort) return true;
  if ((kinds & MatchKind.PREFIX) !== 0 && startOk[start] === 1 && first === last) return true;
  const aligned = startOk[start] === 1 && endOk[end] === 1;
  if ((kinds & MatchKind.TOKEN) !== 0 && aligned && acrossShort) return true;
  return (kinds & MatchKind.PHRASE) !== 0 && aligned;
}

// Matches found in one pass, and the allowed words that may cancel them.
const found: number[] = [];
const allowed: number[] = [];

const { output, outputLink, edgeStart, edgeCount, labels, targets, fail, rootRow } = AUTOMATON;

/** `step` of `keyword_automaton.ts`, inlined by hand: it runs for every character of a name. */
function next(state: number, symbol: number): number {
  for (;;) {
    if (state === 0) return rootRow[symbol]!;
    const end = edgeStart[state]! + edgeCount[state]!;
    for (let e = edgeStart[state]!; e < end; e++) if (labels[e] === symbol) return targets[e]!;
    state = fail[state]!;
  }
}

/** The first term matched in `n` folded symbols, or -1. */
function scan(n: number): number {
  found.length = 0;
  allowed.length = 0;
  let state = 0;
  for (let i = 0; i < n; i++) {
    state = next(state, symbols[i]!);
    for (let at = output[state]! >= 0 ? state : outputLink[state]!; at > 0; at = outputLink[at]!) {
      const key = output[at]!;
      const start = i + 1 - KEY_LENGTH[key]!;
      if ((TABLE.kinds[key]! & MatchKind.ALLOW) !== 0) allowed.push(start, i + 1);
      else if (placed(key, start, i + 1, n)) found.push(key, start, i + 1);
    }
  }
  outer: for (let f = 0; f < found.length; f += 3) {
    for (let a = 0; a < allowed.length; a += 2) {
      // An allowed word counts only inside one word of the name: `the_rapist` is no `therapist`.
      const [start, end] = [allowed[a]!, allowed[a + 1]!];
      if (start <= found[f + 1]! && found[f + 2]! <= end && wordOf[start] === wordOf[end - 1]) {
        continue outer;
      }
    }
    return found[f]!;
  }
  return -1;
}

/** The profanity or hate term `text` contains, read with separators and leet folded, or null. */
export function profaneTerm(text: string): ProfanityTerm | null {
  let key = scan(fold(text, "i"));
  // The other readings differ only when a word holds a digit (most names have none).
  if (key < 0 && digitInWord) {
    const one = oneInWord;
    if (one) key = scan(fold(text, "l"));
    if (key < 0) key = scan(fold(text, "digits"));
  }
  return key < 0 ? null : TABLE.terms[key]!;
}

/** Whether `text` contains a profanity or hate term in any of the languages of the lists. */
export function isProfane(text: string): boolean {
  return profaneTerm(text) !== null;
}
