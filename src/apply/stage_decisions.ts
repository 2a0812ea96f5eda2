/** Writes the policy's decisions of a range into the snapshot's staging table. */
import type pg from "../db/pg.ts";
import type { NameDecision } from "./name_decision.ts";

/** Adds decisions read from range `rangeNo` to `identity.snapshot_rows`, in one statement. */
export async function stageDecisions(
  client: pg.ClientBase,
  range: { slotName: string; rangeNo: number },
  decisions: readonly NameDecision[],
): Promise<void> {
  if (decisions.length === 0) return;
  const column = <T>(pick: (d: NameDecision) => T) => decisions.map(pick);
  await client.query(
    `insert into identity.snapshot_rows (
       slot_name, range_no, legacy_id, legacy_int, tier, candidate, skeleton, base, reasons,
       raw_value, display_name, legacy_created_at, public_id, source_lsn)
     select $1, $2, d.legacy_id, d.legacy_int, d.tier, d.candidate, d.skeleton, d.base,
            coalesce(string_to_array(nullif(d.reasons, ''), ','), '{}'),
            d.raw_value, d.display_name, d.created_at, d.public_id, d.source_lsn
     from unnest($3::text[], $4::int8[], $5::int2[], $6::text[], $7::text[], $8::text[],
                 $9::text[], $10::text[], $11::text[], $12::timestamptz[], $13::text[],
                 $14::pg_lsn[])
       as d(legacy_id, legacy_int, tier, candidate, skeleton, base, reasons, raw_value,
            display_name, created_at, public_id, source_lsn)`,
    [
      range.slotName,
      range.rangeNo,
      column((d) => d.legacyId),
      column((d) => d.legacyInt),
      column((d) => d.tier),
      column((d) => d.candidate),
      column((d) => d.skeleton),
      column((d) => d.base),
      column((d) => d.reasons.join(",")),
      column((d) => d.rawValue),
      column((d) => d.displayName),
      column((d) => d.createdAt),
      column((d) => d.publicId),
      column((d) => d.sourceLsn),
    ],
  );
}
