/** Writes the policy's decisions of a range into the snapshot's staging table. */
import { copyRows } from "../db/copy_rows.ts";
import type pg from "../db/pg.ts";
import type { NameDecision } from "./name_decision.ts";

const COLUMNS = `identity.snapshot_rows (slot_name, range_no, legacy_id, legacy_int, tier,
  candidate, skeleton, base, reasons, raw_value, display_name, legacy_created_at, public_id,
  source_lsn, username, resembles)`;

/** Adds decisions read from range `rangeNo` to `identity.snapshot_rows`, with one COPY. */
export async function stageDecisions(
  client: pg.ClientBase,
  range: { slotName: string; rangeNo: number },
  decisions: readonly NameDecision[],
): Promise<void> {
  await copyRows(
    client,
    COLUMNS,
    decisions.map((d) => [
      range.slotName,
      range.rangeNo,
      d.legacyId,
      d.legacyInt,
      d.tier,
      d.candidate,
      d.skeleton,
      d.base,
      d.reasons,
      d.rawValue,
      d.displayName,
      d.createdAt,
      d.publicId,
      d.sourceLsn,
      d.username,
      d.resembles,
    ]),
  );
}

/**
 * Empties the staging tables of run `slotName`, inside the open transaction on `client`. When no
 * other run is staging, TRUNCATE frees them at once; when another run is, or a lock stands in the
 * way (a dry run holds the tables for its duration), only this run's rows are deleted.
 */
export async function clearStaged(client: pg.ClientBase, slotName: string): Promise<void> {
  const { rowCount: others } = await client.query(
    `select 1 from identity.sync_state
     where slot_name <> $1 and phase in ('created', 'snapshotting', 'assigning')`,
    [slotName],
  );
  if (others === 0) {
    await client.query("savepoint clear_staged");
    try {
      await client.query("set local lock_timeout = '1s'");
      await client.query(
        "truncate identity.snapshot_names, identity.snapshot_rows, identity.snapshot_fallbacks",
      );
      await client.query("set local lock_timeout to default");
      await client.query("release savepoint clear_staged");
      return;
    } catch {
      await client.query("rollback to savepoint clear_staged");
    }
  }
  await client.query("delete from identity.snapshot_names where slot_name = $1", [slotName]);
  await client.query("delete from identity.snapshot_rows where slot_name = $1", [slotName]);
  await client.query("delete from identity.snapshot_fallbacks where slot_name = $1", [slotName]);
}
