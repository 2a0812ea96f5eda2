/**
 * Ranges of the snapshot, shared by every worker of every process through
 * `identity.snapshot_ranges`: a worker claims one with FOR UPDATE SKIP LOCKED
 * inside the transaction that stages its rows, so a crash releases the claim
 * and the staged rows together.
 */
import type pg from "../db/pg.ts";
import type { KeyRange } from "./plan_ranges.ts";

/** A range of one snapshot run. */
export interface SnapshotRange extends KeyRange {
  slotName: string;
  rangeNo: number;
}

/** Stores the planned ranges of a run. */
export async function insertRanges(
  client: pg.ClientBase,
  slotName: string,
  ranges: readonly KeyRange[],
): Promise<void> {
  await client.query(
    `insert into identity.snapshot_ranges (slot_name, range_no, lower_key, upper_key)
     select $1, n, lower_key, upper_key
     from unnest($2::text[], $3::text[]) with ordinality as r(lower_key, upper_key, n)`,
    [slotName, ranges.map((r) => r.lower), ranges.map((r) => r.upper)],
  );
}

/**
 * Claims the next range nobody holds and nobody finished, for the open
 * transaction on `client`; null when there is none to claim right now.
 */
export async function claimRange(
  client: pg.ClientBase,
  slotName: string,
  worker: string,
): Promise<SnapshotRange | null> {
  const { rows } = await client.query<{ range_no: number; lower_key: string; upper_key: string }>(
    `update identity.snapshot_ranges r
     set status = 'claimed', claimed_by = $2, claimed_at = now()
     where (r.slot_name, r.range_no) = (
       select slot_name, range_no from identity.snapshot_ranges
       where slot_name = $1 and status <> 'done'
       order by range_no
       for update skip locked
       limit 1)
     returning r.range_no, r.lower_key, r.upper_key`,
    [slotName, worker],
  );
  const row = rows[0];
  return row
    ? { slotName, rangeNo: row.range_no, lower: row.lower_key, upper: row.upper_key }
    : null;
}

/** Marks a claimed range done with the number of rows read from it. */
export async function completeRange(
  client: pg.ClientBase,
  range: SnapshotRange,
  rowsRead: number,
): Promise<void> {
  await client.query(
    `update identity.snapshot_ranges set status = 'done', rows_read = $3, finished_at = now()
     where slot_name = $1 and range_no = $2`,
    [range.slotName, range.rangeNo, rowsRead],
  );
}

/** How far the ranges of a run are. */
export interface RangeProgress {
  ranges: number;
  done: number;
  rowsRead: number;
}

/** Counts the ranges of a run and the rows read from the finished ones. */
export async function rangeProgress(
  client: pg.ClientBase,
  slotName: string,
): Promise<RangeProgress> {
  const { rows } = await client.query<{ ranges: string; done: string; rows_read: string }>(
    `select count(*) as ranges, count(*) filter (where status = 'done') as done,
            coalesce(sum(rows_read) filter (where status = 'done'), 0) as rows_read
     from identity.snapshot_ranges where slot_name = $1`,
    [slotName],
  );
  const row = rows[0]!;
  return { ranges: Number(row.ranges), done: Number(row.done), rowsRead: Number(row.rows_read) };
}
