/**
 * Reserved names refused: the letter-only names two of the three public lists agree on (gated),
 * and every entry of each list in username form (printed only).
 *
 * @module
 */

import type { UsernameCandidateOptions } from "../../src/policy/mod.ts";
import { type AuditRow, invert, rateRow, tally } from "./audit_row.ts";
import { claimingPaths } from "./claimable.ts";
import { agreedReservedNames, RESERVED_LISTS } from "./reserved_lists.ts";
import { usernameForms } from "./username_form.ts";

/** The reserved-name rows: refused means no path gives the name. */
export function reservedRows(options: UsernameCandidateOptions): AuditRow[] {
  const refused = (name: string) => claimingPaths(name, options).length === 0;
  const claimedOn = (name: string) => `${name} (${claimingPaths(name, options).join(", ")})`;
  const notRefused = (name: string) => !refused(name);
  const rows = [
    rateRow(
      "reserved refused: letter-only names ≥ 2 lists agree on",
      invert(tally(agreedReservedNames(2), notRefused, claimedOn)),
      { op: ">=", value: 90 },
    ),
  ];
  for (const [list, entries] of Object.entries(RESERVED_LISTS)) {
    rows.push(rateRow(
      `reserved refused: all of ${list}`,
      invert(tally(usernameForms(entries), notRefused, claimedOn)),
      null,
    ));
  }
  return rows;
}
