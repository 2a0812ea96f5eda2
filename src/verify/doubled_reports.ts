/**
 * Report rows written twice for one decision: what a doubled apply leaves behind. A decision is
 * what one writer (`source`) decided for one legacy id at one source position (`source_lsn`: the
 * commit LSN of the stream's change, or the snapshot's consistent point minus one), from one legacy
 * value (`raw_value`): the decision and the username it led to. The LSN guard applies a change once,
 * so two rows alike in all of these mean the same change was applied twice. The value is part of
 * the key because one transaction may rename a row twice and have both renames refused: two rows
 * with the same kept name and LSN, from different values. A recovery snapshot reports again under
 * its own consistent point, so it never doubles an earlier row. What the rows cannot tell from a
 * doubled apply: one source transaction that gives a row the same value twice with another in
 * between (A, B, A), decided alike both times; the report keeps no position within a transaction.
 *
 * @module
 */

import type pg from "../db/pg.ts";
import { type BreachTally, EXAMPLES_PER_KIND } from "./breaches.ts";

/**
 * Counts decisions with more than one report row, found by the database in one `group by … having`
 * pass (examples: their legacy ids). Rows without a legacy id (no legacy change) are left out.
 */
export async function tallyDoubledReports(identity: pg.Client, tally: BreachTally): Promise<void> {
  const { rows } = await identity.query<{ groups: number; legacy_id: string }>(
    `select count(*) over ()::int as groups, legacy_id
     from (
       select legacy_id
       from identity.migration_report
       where legacy_id is not null
       group by legacy_id, source, source_lsn, raw_value, decision, username
       having count(*) > 1
     ) doubled
     limit $1::int`,
    [EXAMPLES_PER_KIND],
  );
  tally.addMany("duplicate_report_row", rows[0]?.groups ?? 0, rows.map((row) => row.legacy_id));
}
