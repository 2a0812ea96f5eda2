/**
 * A snapshot over existing accounts (the recovery from a lost slot) cannot see a legacy
 * primary-key change: the row is simply under another key. Left alone, the account of the old key
 * would be tombstoned and the row would become a new account, with a new public ID, while its own
 * name sat on hold for the old one. So before names are decided, an account whose key is gone and
 * a staged row whose key has no account are taken for one person moved when they carry the same
 * legacy username and creation time, and nobody else does on either side; such accounts are
 * re-keyed through `identity.rekey_account` (audited, source `snapshot`). Any doubt (two
 * candidates on one side, no username) leaves the row to be a new account, as before.
 */
import type pg from "../db/pg.ts";

/** The run whose staged rows are matched. */
export interface RekeyRun {
  slotName: string;
  /** The LSN of the run's snapshot (one byte before its consistent point). */
  lsn: string;
  /** Whether accounts without a staged row are this run's (see `mayTombstone`). */
  deletes: boolean;
}

/** Re-keys, inside the open transaction on `client`, every account matched to a moved row. */
export async function rekeyMovedRows(client: pg.ClientBase, run: RekeyRun): Promise<number> {
  if (!run.deletes) return 0;
  const { rowCount } = await client.query(
    `with gone as (
       select a.legacy_id, a.legacy_username, a.legacy_created_at from identity.accounts a
       where a.legacy_id is not null and a.status = 'active' and a.source_lsn < $2::pg_lsn
         and a.legacy_username is not null
         and not exists (select 1 from identity.snapshot_rows s
                         where s.slot_name = $1 and s.legacy_id = a.legacy_id)
     ), arrived as (
       select s.legacy_id, s.raw_value, s.legacy_created_at from identity.snapshot_rows s
       where s.slot_name = $1 and s.raw_value is not null
         and not exists (select 1 from identity.accounts a where a.legacy_id = s.legacy_id)
     ), pairs as (
       select g.legacy_id as old_id, r.legacy_id as new_id,
              count(*) over (partition by g.legacy_id) as per_account,
              count(*) over (partition by r.legacy_id) as per_row
       from gone g
       join arrived r on r.raw_value = g.legacy_username
                     and r.legacy_created_at is not distinct from g.legacy_created_at
     )
     select identity.rekey_account(old_id, new_id, 'snapshot', $2::pg_lsn)
     from pairs where per_account = 1 and per_row = 1`,
    [run.slotName, run.lsn],
  );
  return rowCount ?? 0;
}
