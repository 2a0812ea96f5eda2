/**
 * The triggers by which the database itself refuses to change a public ID or legacy id, or to
 * remove an account: each must exist and fire in ordinary sessions.
 *
 * @module
 */

import type pg from "../db/pg.ts";
import type { BreachTally } from "./breaches.ts";

/** The triggers on `identity.accounts` that keep public IDs immutable and never reused. */
export const IMMUTABILITY_TRIGGERS: readonly string[] = [
  "accounts_identity_immutable",
  "accounts_never_deleted",
  "accounts_never_truncated",
];

/** Counts each immutability trigger that is missing or disabled (example: `name (state)`). */
export async function tallyImmutabilityTriggers(
  identity: pg.Client,
  tally: BreachTally,
): Promise<void> {
  const { rows } = await identity.query<{ name: string; enabled: string }>(
    `select tgname::text as name, tgenabled::text as enabled
     from pg_trigger
     where tgrelid = 'identity.accounts'::regclass and not tgisinternal and tgname = any($1)`,
    [IMMUTABILITY_TRIGGERS],
  );
  const state = new Map(rows.map((row) => [row.name, row.enabled]));
  for (const name of IMMUTABILITY_TRIGGERS) {
    const enabled = state.get(name);
    // 'O' fires in ordinary sessions, 'A' always; 'D' never and 'R' only while replicating.
    if (enabled === undefined) tally.add("immutability_trigger_missing", `${name} (missing)`);
    else if (enabled !== "O" && enabled !== "A") {
      tally.add("immutability_trigger_missing", `${name} (disabled)`);
    }
  }
}
