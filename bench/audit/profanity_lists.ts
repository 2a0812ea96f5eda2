/**
 * The profanity and hate lists the audit judges the policy by, per language: every file of
 * `naughty-words` (LDNOOBW), the `cuss` lists (terms rated 1 or 2; 0 means "maybe not profane")
 * and, for English, `badwords-list`; `french-badwords-list` and `russian-bad-words`.
 *
 * @module
 */

import { array as badwords } from "badwords-list";
import frenchBadwords from "french-badwords-list/dist/array.js";
import { flatWords as russianBadWords } from "russian-bad-words";
import { cuss } from "cuss";
import { cuss as cussEs } from "cuss/es";
import { cuss as cussFr } from "cuss/fr";
import { cuss as cussIt } from "cuss/it";
import { cuss as cussPt } from "cuss/pt";
import nwAr from "naughty-words/ar.json" with { type: "json" };
import nwCs from "naughty-words/cs.json" with { type: "json" };
import nwDa from "naughty-words/da.json" with { type: "json" };
import nwDe from "naughty-words/de.json" with { type: "json" };
import nwEn from "naughty-words/en.json" with { type: "json" };
import nwEo from "naughty-words/eo.json" with { type: "json" };
import nwEs from "naughty-words/es.json" with { type: "json" };
import nwFa from "naughty-words/fa.json" with { type: "json" };
import nwFi from "naughty-words/fi.json" with { type: "json" };
import nwFil from "naughty-words/fil.json" with { type: "json" };
import nwFr from "naughty-words/fr.json" with { type: "json" };
import nwFrCAUSdCaqc from "naughty-words/fr-CA-u-sd-caqc.json" with { type: "json" };
import nwHi from "naughty-words/hi.json" with { type: "json" };
import nwHu from "naughty-words/hu.json" with { type: "json" };
import nwIt from "naughty-words/it.json" with { type: "json" };
import nwJa from "naughty-words/ja.json" with { type: "json" };
import nwKab from "naughty-words/kab.json" with { type: "json" };
import nwKo from "naughty-words/ko.json" with { type: "json" };
import nwNl from "naughty-words/nl.json" with { type: "json" };
import nwNo from "naughty-words/no.json" with { type: "json" };
import nwPl from "naughty-words/pl.json" with { type: "json" };
import nwPt from "naughty-words/pt.json" with { type: "json" };
import nwRu from "naughty-words/ru.json" with { type: "json" };
import nwSv from "naughty-words/sv.json" with { type: "json" };
import nwTh from "naughty-words/th.json" with { type: "json" };
import nwTlh from "naughty-words/tlh.json" with { type: "json" };
import nwTr from "naughty-words/tr.json" with { type: "json" };
import nwZh from "naughty-words/zh.json" with { type: "json" };

/** The lowest `cuss` rating counted as profane. */
export const CUSS_MIN_RATING = 1;

function rated(terms: Record<string, number>): string[] {
  return Object.entries(terms).filter(([, rating]) => rating >= CUSS_MIN_RATING).map(([term]) =>
    term
  );
}

/** The raw entries of every list, by language (LDNOOBW file name), each language's lists merged. */
export const PROFANITY_LISTS: Readonly<Record<string, readonly string[]>> = {
  ar: nwAr,
  cs: nwCs,
  da: nwDa,
  de: nwDe,
  en: [...nwEn, ...rated(cuss), ...badwords],
  eo: nwEo,
  es: [...nwEs, ...rated(cussEs)],
  fa: nwFa,
  fi: nwFi,
  fil: nwFil,
  fr: [...nwFr, ...rated(cussFr), ...(frenchBadwords as string[])],
  "fr-CA-u-sd-caqc": nwFrCAUSdCaqc,
  hi: nwHi,
  hu: nwHu,
  it: [...nwIt, ...rated(cussIt)],
  ja: nwJa,
  kab: nwKab,
  ko: nwKo,
  nl: nwNl,
  no: nwNo,
  pl: nwPl,
  pt: [...nwPt, ...rated(cussPt)],
  // russian-bad-words mixes its grammatical labels ("noun") into the list: Cyrillic entries only.
  ru: [...nwRu, ...russianBadWords.filter((entry) => /\p{Script=Cyrillic}/u.test(entry))],
  sv: nwSv,
  th: nwTh,
  tlh: nwTlh,
  tr: nwTr,
  zh: nwZh,
};
