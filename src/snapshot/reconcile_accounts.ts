/**
 * A snapshot over existing accounts (the recovery from a lost slot) must also bring them up to
 * date: while no slot streamed, legacy users were renamed, edited, deleted or inserted again.
 * The staged rows are the legacy table at the run's snapshot, so every existing legacy account
 * that differs from its staged row, or has none, gets the change that makes it match, through the
 * stream's own apply path: same policy, name holds, report rows and dead letters, and the same
 * LSN guard, so a change the stream applies later (at a greater LSN) always wins.
 */
import { type AccountChange } from "../apply/account_change.ts";
import { applyChanges, type ApplyOptions, type ApplyStats } from "../apply/apply_changes.ts";
import { emptyStats } from "../apply/apply_options.ts";
import type pg from "../db/pg.ts";
import { type LegacyRow, legacyUpsert } from "./read_range.ts";

/** The run whose staged rows are reconciled. */
export interface ReconcileRun {
  slotName: string;
  /** The LSN of the run's snapshot (one byte before its consistent point): that of its deletes. */
  lsn: string;
  /** Legacy-linked accounts without a staged row are tombstoned only when `deletes` is true. */
  deletes: boolean;
}

interface StagedRow extends LegacyRow {
  lsn: string;
}

/**
 * Applies, inside the open transaction on `client`, the changes that make every existing legacy
 * account of the run's table match its staged row; tombstones those whose legacy row is gone.
 * Accounts the run itself loaded already match. Run it after the load, before the run is marked
 * snapshotted: it reads the staging tables.
 */
export async function reconcileAccounts(
  client: pg.ClientBase,
  run: ReconcileRun,
  options: ApplyOptions & { batchSize?: number },
): Promise<ApplyStats> {
  const { batchSize = 5_000 } = options;
  // Both walks are declared before the first apply, which plans its own statements as keyed
  // look-ups (no hash joins) for the rest of the transaction.
  await client.query(
    `declare reconcile_changed no scroll cursor for
     select s.legacy_id, s.legacy_int::text as legacy_int, s.username,
            s.legacy_created_at::text as created_at, s.display_name, s.source_lsn::text as lsn
     from identity.snapshot_rows s
     join identity.accounts a on a.legacy_id = s.legacy_id
     where s.slot_name = $1 and a.source_lsn < s.source_lsn
       and (a.status = 'deleted'
            or a.legacy_username is distinct from s.raw_value
            or a.display_name is distinct from s.display_name
            or a.legacy_created_at is distinct from s.legacy_created_at)`,
    [run.slotName],
  );
  await client.query(
    `declare reconcile_gone no scroll cursor for
     select a.legacy_id from identity.accounts a
     where $3 and a.legacy_id is not null and a.status = 'active' and a.source_lsn < $2::pg_lsn
       and not exists (select 1 from identity.snapshot_rows s
                       where s.slot_name = $1 and s.legacy_id = a.legacy_id)`,
    [run.slotName, run.lsn, run.deletes],
  );
  const stats = emptyStats();
  const apply = async (changes: AccountChange[]) => {
    const applied = await applyChanges(client, changes, options);
    for (const key of Object.keys(stats) as (keyof ApplyStats)[]) stats[key] += applied[key];
  };
  while (true) {
    const { rows } = await client.query<StagedRow>(`fetch ${batchSize} from reconcile_changed`);
    if (rows.length === 0) break;
    // Staged creation times are instants already.
    await apply(rows.map((row) => legacyUpsert(row, row.lsn, { createdAtZone: null })));
  }
  while (true) {
    const { rows } = await client.query<{ legacy_id: string }>(
      `fetch ${batchSize} from reconcile_gone`,
    );
    if (rows.length === 0) break;
    await apply(rows.map((row) => ({
      kind: "delete",
      legacyId: row.legacy_id,
      legacyInt: null,
      username: undefined,
      createdAt: undefined,
      displayName: undefined,
      lsn: run.lsn,
    })));
  }
  await client.query("close reconcile_changed");
  await client.query("close reconcile_gone");
  return stats;
}

/**
 * Whether accounts without a staged row may be tombstoned: only when every other run recorded in
 * `identity.sync_state` read the same legacy table. Accounts of another table are not this run's
 * to delete; when in doubt, nothing is.
 */
export async function mayTombstone(
  client: pg.ClientBase,
  slotName: string,
  legacyTable: string,
): Promise<boolean> {
  const { rowCount } = await client.query(
    "select 1 from identity.sync_state where slot_name <> $1 and legacy_table <> $2",
    [slotName, legacyTable],
  );
  return rowCount === 0;
}
