/**
 * Realistic usernames from many locales, drawn by `@faker-js/faker` with a fixed seed: its
 * `internet.username()`, `person.firstName()` and `person.lastName()`, as typed (`raw`, which may
 * be non-ASCII) and in username form (transliterated by `any-ascii`).
 *
 * @module
 */

import { allFakers } from "@faker-js/faker";
import { usernameForm } from "./username_form.ts";

/** The locales drawn from: at least ten, across scripts and regions. */
export const BENIGN_LOCALES: readonly string[] = [
  "en",
  "de",
  "fr",
  "es",
  "it",
  "pt_BR",
  "pl",
  "tr",
  "ru",
  "cs_CZ",
  "hu",
  "fi",
  "nl",
  "sv",
  "vi",
  "id_ID",
];

/** The names of one locale. */
export interface LocaleNames {
  locale: string;
  /** The values as faker gives them. */
  raw: string[];
  /** Their distinct well-formed username forms. */
  forms: string[];
}

/** `perKind` usernames, first names and last names of each locale, seeded by `seed`. */
export function benignNames(perKind: number, seed: number): LocaleNames[] {
  const fakers = allFakers as Readonly<Record<string, (typeof allFakers)["en"]>>;
  return BENIGN_LOCALES.map((locale) => {
    const faker = fakers[locale];
    if (faker === undefined) throw new RangeError(`Cannot draw names: no faker locale ${locale}`);
    faker.seed(seed);
    const raw: string[] = [];
    for (let i = 0; i < perKind; i++) {
      raw.push(faker.internet.username(), faker.person.firstName(), faker.person.lastName());
    }
    const forms = new Set<string>();
    for (const value of raw) {
      const form = usernameForm(value);
      if (form !== null) forms.add(form);
    }
    return { locale, raw, forms: [...forms] };
  });
}
