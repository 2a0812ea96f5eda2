/**
 * Splits the legacy key space into ranges of about `rangeSize` rows, for any
 * orderable key: integers (negative, sparse), text, uuid. Boundaries come from
 * the keys themselves (all of them for small tables, a block sample for big
 * ones), so sparse or skewed keys still give even ranges.
 */
import type pg from "../db/pg.ts";
import type { LegacyTable } from "../legacy/legacy_table.ts";

/** A key range: `lower` inclusive, `upper` exclusive, null unbounded. */
export interface KeyRange {
  lower: string | null;
  upper: string | null;
}

/** Tables up to this many rows are split from all their keys; bigger ones from a sample. */
const EXACT_SPLIT_MAX_ROWS = 2_000_000;
/** Sampled keys per range boundary. */
const SAMPLE_PER_RANGE = 40;

/** Plans the ranges of `table`; returns them with the row estimate they were planned for. */
export async function planRanges(
  client: pg.ClientBase,
  table: LegacyTable,
  options: { rangeSize: number },
): Promise<{ ranges: KeyRange[]; rowsEstimate: number }> {
  const rowsEstimate = await estimateRows(client, table);
  const count = Math.ceil(rowsEstimate / options.rangeSize);
  if (count <= 1) return { ranges: [{ lower: null, upper: null }], rowsEstimate };
  const id = table.columns.id;
  let boundaries: string[];
  if (rowsEstimate <= EXACT_SPLIT_MAX_ROWS) {
    const step = Math.ceil(rowsEstimate / count);
    const { rows } = await client.query<{ key: string }>(
      `select key from (
         select ${id}::text as key, row_number() over (order by ${id}) as n from ${table.sql}
       ) k where n % $1 = 1 and n > 1 order by n`,
      [step],
    );
    boundaries = rows.map((r) => r.key);
  } else {
    const percent = Math.min(100, (100 * count * SAMPLE_PER_RANGE) / rowsEstimate);
    const { rows } = await client.query<{ key: string }>(
      `select ${id}::text as key from ${table.sql} tablesample system ($1) order by ${id}`,
      [percent],
    );
    boundaries = rows.filter((_, i) => i > 0 && i % SAMPLE_PER_RANGE === 0).map((r) => r.key);
  }
  const distinct = boundaries.filter((key, i) => i === 0 || key !== boundaries[i - 1]);
  const ranges: KeyRange[] = [];
  let lower: string | null = null;
  for (const upper of distinct) {
    ranges.push({ lower, upper });
    lower = upper;
  }
  ranges.push({ lower, upper: null });
  return { ranges, rowsEstimate };
}

/** Below this estimate the rows are counted: cheap, and stale statistics cannot mislead. */
const COUNT_BELOW_ROWS = 5_000_000;

/** The planner's row estimate for a big table, an exact count for a small or unanalysed one. */
async function estimateRows(client: pg.ClientBase, table: LegacyTable): Promise<number> {
  const { rows } = await client.query<{ estimate: number }>(
    "select reltuples::float8 as estimate from pg_class where oid = $1::regclass",
    [table.sql],
  );
  const estimate = rows[0]?.estimate ?? -1;
  if (estimate >= COUNT_BELOW_ROWS) return Math.round(estimate);
  const counted = await client.query<{ n: string }>(`select count(*) as n from ${table.sql}`);
  return Number(counted.rows[0]!.n);
}

/** SQL that keeps the rows of `range`, with the bounds as parameters `$from`…. */
export function rangePredicate(
  table: LegacyTable,
  range: KeyRange,
  firstParameter: number,
): { sql: string; values: string[] } {
  const conditions: string[] = [];
  const values: string[] = [];
  const cast = `::${table.keyType}`;
  if (range.lower !== null) {
    values.push(range.lower);
    conditions.push(`${table.columns.id} >= $${firstParameter + values.length - 1}${cast}`);
  }
  if (range.upper !== null) {
    values.push(range.upper);
    conditions.push(`${table.columns.id} < $${firstParameter + values.length - 1}${cast}`);
  }
  return { sql: conditions.length ? conditions.join(" and ") : "true", values };
}
