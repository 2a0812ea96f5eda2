/**
 * False positives: benign names some path refuses. Realistic usernames per locale and in total,
 * and English dictionary words no loaded list calls reserved or profane.
 *
 * @module
 */

import type { UsernameCandidateOptions } from "../../src/policy/mod.ts";
import { type AuditRow, rateRow, tally } from "./audit_row.ts";
import type { LocaleNames } from "./benign_names.ts";
import { claimingPaths, refusalNote } from "./claimable.ts";

const TARGET = { op: "<=", value: 0.5 } as const;

/** The realistic-username rows (total gated, each locale printed only) and the dictionary row. */
export function falsePositiveRows(
  benign: readonly LocaleNames[],
  dictionary: readonly string[],
  options: UsernameCandidateOptions,
): AuditRow[] {
  // Benign means every path gives the name, so one refusal is a false positive.
  const refused = (name: string) => claimingPaths(name, options).length < 2;
  const describe = (name: string) => refusalNote(name, options);
  const all = [...new Set(benign.flatMap((names) => names.forms))];
  return [
    rateRow(
      `false positives: realistic usernames, ${benign.length} locales`,
      tally(all, refused, describe),
      TARGET,
    ),
    rateRow("false positives: English dictionary", tally(dictionary, refused, describe), TARGET),
    ...benign.map((names) =>
      rateRow(
        `false positives: realistic, ${names.locale}`,
        tally(names.forms, refused, describe),
        null,
      )
    ),
  ];
}
