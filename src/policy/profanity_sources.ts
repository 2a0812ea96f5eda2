/**
 * The profanity and hate-term lists the check is built from, as they are published: LDNOOBW
 * (`naughty-words`, 28 languages, CC BY 4.0), `cuss` (English with a 0–2 sureness rating, and
 * Arabic in Latin letters, French, Italian, Portuguese and Spanish; MIT), `badwords-list` (English;
 * MIT). The cuss entries rated 0 ("probably not profane") are left out.
 *
 * @module
 */

import { array as badwordsList } from "badwords-list";
import frenchBadwords from "french-badwords-list/dist/array.js";
import { flatWords as russianBadWords } from "russian-bad-words";
import { cuss as cussEn } from "cuss";
import { cuss as cussArLatn } from "cuss/ar-latn";
import { cuss as cussEs } from "cuss/es";
import { cuss as cussFr } from "cuss/fr";
import { cuss as cussIt } from "cuss/it";
import { cuss as cussPt } from "cuss/pt";
import { cuss as cussPtPt } from "cuss/pt-pt";
import ar from "naughty-words/ar.json" with { type: "json" };
import cs from "naughty-words/cs.json" with { type: "json" };
import da from "naughty-words/da.json" with { type: "json" };
import de from "naughty-words/de.json" with { type: "json" };
import en from "naughty-words/en.json" with { type: "json" };
import eo from "naughty-words/eo.json" with { type: "json" };
import es from "naughty-words/es.json" with { type: "json" };
import fa from "naughty-words/fa.json" with { type: "json" };
import fi from "naughty-words/fi.json" with { type: "json" };
import fil from "naughty-words/fil.json" with { type: "json" };
import frCa from "naughty-words/fr-CA-u-sd-caqc.json" with { type: "json" };
import fr from "naughty-words/fr.json" with { type: "json" };
import hi from "naughty-words/hi.json" with { type: "json" };
import hu from "naughty-words/hu.json" with { type: "json" };
import it from "naughty-words/it.json" with { type: "json" };
import ja from "naughty-words/ja.json" with { type: "json" };
import kab from "naughty-words/kab.json" with { type: "json" };
import ko from "naughty-words/ko.json" with { type: "json" };
import nl from "naughty-words/nl.json" with { type: "json" };
import no from "naughty-words/no.json" with { type: "json" };
import pl from "naughty-words/pl.json" with { type: "json" };
import pt from "naughty-words/pt.json" with { type: "json" };
import ru from "naughty-words/ru.json" with { type: "json" };
import sv from "naughty-words/sv.json" with { type: "json" };
import th from "naughty-words/th.json" with { type: "json" };
import tlh from "naughty-words/tlh.json" with { type: "json" };
import tr from "naughty-words/tr.json" with { type: "json" };
import zh from "naughty-words/zh.json" with { type: "json" };

/** One published list: its name, the language of its entries (BCP 47) and the entries. */
export interface ProfanitySource {
  /** The list, e.g. `ldnoobw` or `cuss`. */
  readonly list: string;
  /** The language of the entries, e.g. `tr` or `ar-Latn`. */
  readonly language: string;
  /** The entries as published (any script, any case). */
  readonly entries: readonly string[];
}

function isCyrillic(entry: string): boolean {
  return /\p{Script=Cyrillic}/u.test(entry);
}

function rated(terms: Readonly<Record<string, number>>): string[] {
  return Object.keys(terms).filter((term) => terms[term]! >= 1);
}

const LDNOOBW: Readonly<Record<string, readonly string[]>> = {
  en,
  ar,
  cs,
  da,
  de,
  eo,
  es,
  fa,
  fi,
  fil,
  fr,
  "fr-CA": frCa,
  hi,
  hu,
  it,
  ja,
  kab,
  ko,
  nl,
  no,
  pl,
  pt,
  ru,
  sv,
  th,
  tlh,
  tr,
  zh,
};

/** Every list, English first (a term in several lists is reported with the first). */
export const PROFANITY_SOURCES: readonly ProfanitySource[] = [
  { list: "cuss", language: "en", entries: rated(cussEn) },
  { list: "badwords-list", language: "en", entries: badwordsList },
  ...Object.entries(LDNOOBW).map(([language, entries]) => ({ list: "ldnoobw", language, entries })),
  { list: "cuss", language: "es", entries: rated(cussEs) },
  { list: "cuss", language: "fr", entries: rated(cussFr) },
  { list: "cuss", language: "it", entries: rated(cussIt) },
  { list: "cuss", language: "pt", entries: rated(cussPt) },
  { list: "cuss", language: "pt-PT", entries: rated(cussPtPt) },
  { list: "cuss", language: "ar-Latn", entries: rated(cussArLatn) },
  { list: "russian-bad-words", language: "ru", entries: russianBadWords.filter(isCyrillic) },
  { list: "french-badwords-list", language: "fr", entries: frenchBadwords as string[] },
];
