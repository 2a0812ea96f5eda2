/**
 * Profanity refused, per language and in total: each list entry in username form (`Blow Job` →
 * `blow_job`) is refused when no path gives it.
 *
 * @module
 */

import type { UsernameCandidateOptions } from "../../src/policy/mod.ts";
import { type AuditRow, invert, rateRow, tally } from "./audit_row.ts";
import { claimingPaths } from "./claimable.ts";
import { PROFANITY_LISTS } from "./profanity_lists.ts";
import { usernameForms } from "./username_form.ts";

/** The distinct username forms of each language's entries. */
export function profanityForms(): Map<string, string[]> {
  return new Map(
    Object.entries(PROFANITY_LISTS).map((
      [language, entries],
    ) => [language, usernameForms(entries)]),
  );
}

/** The rows English (gated), all languages (gated) and each other language (printed only). */
export function profanityRows(
  forms: Map<string, string[]>,
  options: UsernameCandidateOptions,
): AuditRow[] {
  const claimable = new Map<string, string[]>();
  const judge = (name: string) => {
    let paths = claimable.get(name);
    if (paths === undefined) claimable.set(name, paths = claimingPaths(name, options));
    return paths.length > 0;
  };
  const describe = (name: string) => `${name} (${claimable.get(name)!.join(", ")})`;
  const rowFor = (label: string, names: string[], percent: number | null) =>
    rateRow(
      label,
      invert(tally(names, judge, describe)),
      percent === null ? null : { op: ">=", value: percent },
    );
  const all = [...new Set([...forms.values()].flat())];
  return [
    rowFor(
      "profanity refused: English (LDNOOBW en + cuss ≥ 1 + badwords-list)",
      forms.get("en")!,
      95,
    ),
    rowFor("profanity refused: all languages", all, 80),
    // English has its own row above.
    ...[...forms].filter(([language]) => language !== "en").map(([language, names]) =>
      rowFor(`profanity refused: ${language}`, names, null)
    ),
  ];
}
