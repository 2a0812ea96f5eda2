/** `identity.sync_state`: one row per replication slot, where the copy and the stream meet. */
import type pg from "../db/pg.ts";

/** The phases a run goes through, in order. */
export type SyncPhase =
  | "created"
  | "snapshotting"
  | "assigning"
  | "snapshotted"
  | "streaming"
  | "failed";

/** A run's stored state. */
export interface SyncState {
  slotName: string;
  publicationName: string;
  legacyTable: string;
  phase: SyncPhase;
  snapshotName: string | null;
  consistentPoint: string | null;
  lastAppliedLsn: string | null;
  rowsEstimate: number | null;
}

/** Reads the state of the run of `slotName`, or null when there is none. */
export async function readSyncState(
  client: pg.ClientBase,
  slotName: string,
): Promise<SyncState | null> {
  const { rows } = await client.query(
    `select slot_name, publication_name, legacy_table, phase, snapshot_name,
            consistent_point::text as consistent_point, last_applied_lsn::text as last_applied_lsn,
            rows_estimate
     from identity.sync_state where slot_name = $1`,
    [slotName],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    slotName: row.slot_name,
    publicationName: row.publication_name,
    legacyTable: row.legacy_table,
    phase: row.phase,
    snapshotName: row.snapshot_name,
    consistentPoint: row.consistent_point,
    lastAppliedLsn: row.last_applied_lsn,
    rowsEstimate: row.rows_estimate === null ? null : Number(row.rows_estimate),
  };
}

/** Records a new run in phase `created`, before its slot exists. */
export async function createSyncState(
  client: pg.ClientBase,
  state: { slotName: string; publicationName: string; legacyTable: string; keyType: string },
): Promise<void> {
  await client.query(
    `insert into identity.sync_state (slot_name, publication_name, legacy_table, legacy_key_type)
     values ($1, $2, $3, $4)`,
    [state.slotName, state.publicationName, state.legacyTable, state.keyType],
  );
}

/** Records the slot's consistent point and the planned snapshot; the run starts snapshotting. */
export async function startSnapshotting(
  client: pg.ClientBase,
  slotName: string,
  snapshot: { snapshotName: string | null; consistentPoint: string | null; rowsEstimate: number },
): Promise<void> {
  await client.query(
    `update identity.sync_state
     set phase = 'snapshotting', snapshot_name = $2, consistent_point = $3::pg_lsn,
         last_applied_lsn = $3::pg_lsn, rows_estimate = $4, snapshot_started_at = now(),
         updated_at = now()
     where slot_name = $1`,
    [slotName, snapshot.snapshotName, snapshot.consistentPoint, snapshot.rowsEstimate],
  );
}

/** Moves the run of `slotName` to `phase`. */
export async function setPhase(
  client: pg.ClientBase,
  slotName: string,
  phase: SyncPhase,
): Promise<void> {
  await client.query(
    `update identity.sync_state
     set phase = $2, updated_at = now(),
         snapshot_finished_at = case when $2 = 'snapshotted' then now() else snapshot_finished_at end
     where slot_name = $1`,
    [slotName, phase],
  );
}

/** Forgets a run that never got past creating its slot. */
export async function deleteSyncState(client: pg.ClientBase, slotName: string): Promise<void> {
  await client.query("delete from identity.sync_state where slot_name = $1", [slotName]);
}
