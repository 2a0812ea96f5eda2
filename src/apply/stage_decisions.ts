/** Writes the policy's decisions of a range into the snapshot's staging table. */
import { copyRows } from "../db/copy_rows.ts";
import type pg from "../db/pg.ts";
import type { NameDecision } from "./name_decision.ts";

const COLUMNS = `identity.snapshot_rows (slot_name, range_no, legacy_id, legacy_int, tier,
  candidate, skeleton, base, reasons, raw_value, display_name, legacy_created_at, public_id,
  source_lsn)`;

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
    ]),
  );
}
