/**
 * The names audit in-process: every corpus through the policy, one row per figure. Used by
 * `bench/audit_names.ts` and gated by `tests/audit_names_test.ts`.
 *
 * @module
 */

import {
  protectedNames,
  RESERVED_NAMES_VERSION,
  type UsernameCandidateOptions,
} from "../../src/policy/mod.ts";
import { OPERATOR_NAMES } from "../../tests/support/evasions.ts";
import type { AuditRow } from "./audit_row.ts";
import { benignNames } from "./benign_names.ts";
import { blnsRows } from "./blns_rows.ts";
import { costRows } from "./cost_rows.ts";
import { DICTIONARY_SIZE, dictionarySample } from "./dictionary.ts";
import { falsePositiveRows } from "./false_positive_rows.ts";
import { impersonationRows } from "./impersonation_rows.ts";
import { profanityForms, profanityRows } from "./profanity_rows.ts";
import { RESERVED_LISTS } from "./reserved_lists.ts";
import { reservedRows } from "./reserved_rows.ts";
import { separatorEvasionRows } from "./separator_evasion_rows.ts";
import { usernameForms } from "./username_form.ts";

/** Options of `runAudit`. */
export interface AuditOptions {
  /** The seed of every draw (variants, faker names, the dictionary sample). Default 1. */
  seed?: number;
  /** Dictionary words judged, sampled when fewer than are eligible. Default: all of them. */
  dictionarySize?: number;
  /** Usernames, first and last names drawn per locale, each. Default 300. */
  namesPerKind?: number;
  /** Whether to time the policy (the µs rows). Default true. */
  timing?: boolean;
}

/** The audit's rows and what they were measured on. */
export interface AuditReport {
  rows: AuditRow[];
  seed: number;
  reservedNamesVersion: string;
  operatorNames: readonly string[];
  /** Words judged, words eligible (no list calls them reserved or profane), words in all. */
  dictionary: { judged: number; eligible: number; of: number };
  seconds: number;
}

const NON_ASCII = /\P{ASCII}/u;

/** Runs the whole audit with the reserved names plus `OPERATOR_NAMES` protected. */
export function runAudit(options: AuditOptions = {}): AuditReport {
  const { seed = 1, dictionarySize = Infinity, namesPerKind = 300, timing = true } = options;
  const start = performance.now();
  const policy: UsernameCandidateOptions = { protectedNames: protectedNames(OPERATOR_NAMES) };
  const profanity = profanityForms();
  const listed = new Set([
    ...[...profanity.values()].flat(),
    ...usernameForms(Object.values(RESERVED_LISTS).flat()),
  ]);
  const benign = benignNames(namesPerKind, seed);
  const dictionary = dictionarySample(dictionarySize, seed, listed);
  const rows = [
    ...blnsRows(policy),
    ...impersonationRows(policy, seed),
    ...reservedRows(policy),
    ...profanityRows(profanity, policy),
    ...separatorEvasionRows(profanity, policy),
    ...falsePositiveRows(benign, dictionary.words, policy),
  ];
  if (timing) {
    const exact = benign.flatMap((names) => names.forms);
    const derived = benign.flatMap((names) => names.raw.filter((raw) => NON_ASCII.test(raw)));
    rows.push(...costRows(exact, derived, policy));
  }
  return {
    rows,
    seed,
    reservedNamesVersion: RESERVED_NAMES_VERSION,
    operatorNames: OPERATOR_NAMES,
    dictionary: {
      judged: dictionary.words.length,
      eligible: dictionary.eligible,
      of: DICTIONARY_SIZE,
    },
    seconds: (performance.now() - start) / 1000,
  };
}
