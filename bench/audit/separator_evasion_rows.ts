/**
 * Separator-evasion forms refused: every letter-only profanity term in each form of
 * `separator_evasions.ts`, per form and in total for English (gated), and in total for all
 * languages (printed only).
 *
 * @module
 */

import type { UsernameCandidateOptions } from "../../src/policy/mod.ts";
import { type AuditRow, invert, rateRow, tally } from "./audit_row.ts";
import { claimingPaths } from "./claimable.ts";
import {
  SEPARATOR_EVASION_KINDS,
  separatorEvasion,
  type SeparatorEvasionKind,
} from "./separator_evasions.ts";

function formsOf(
  terms: readonly string[],
  kinds: readonly SeparatorEvasionKind[] = SEPARATOR_EVASION_KINDS,
): string[] {
  const forms = new Set<string>();
  for (const kind of kinds) {
    for (const term of terms) {
      const form = separatorEvasion(term, kind);
      if (form !== null) forms.add(form);
    }
  }
  return [...forms];
}

/** The separator-evasion rows, from the username forms of each language's profanity entries. */
export function separatorEvasionRows(
  forms: Map<string, string[]>,
  options: UsernameCandidateOptions,
): AuditRow[] {
  const claimable = (name: string) => claimingPaths(name, options).length > 0;
  const describe = (name: string) => `${name} (${claimingPaths(name, options).join(", ")})`;
  const english = forms.get("en")!;
  const all = [...new Set([...forms.values()].flat())];
  const target = { op: ">=", value: 95 } as const;
  return [
    rateRow(
      "separator evasions refused: English, all forms",
      invert(tally(formsOf(english), claimable, describe)),
      target,
    ),
    ...SEPARATOR_EVASION_KINDS.map((kind) =>
      rateRow(
        `separator evasions refused: English, ${kind}`,
        invert(tally(formsOf(english, [kind]), claimable, describe)),
        target,
      )
    ),
    rateRow(
      "separator evasions refused: all languages, all forms",
      invert(tally(formsOf(all), claimable, describe)),
      null,
    ),
  ];
}
