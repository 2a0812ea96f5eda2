/**
 * One row of the names audit: what was counted, out of how many, against which target.
 *
 * @module
 */

/** A bound on a row's figure: at most or at least `value` (a percentage, a count or µs). */
export interface AuditTarget {
  op: "<=" | ">=";
  value: number;
}

/** One measured row. */
export interface AuditRow {
  /** What the row counts, e.g. `profanity refused: en`. */
  row: string;
  /** How many names were judged (calls, for a cost row). */
  n: number;
  /** How many of them the row counts (refused, claimable, crashed…). */
  count: number;
  /** The figure compared with the target: `count` itself, a percentage of `n`, or µs per name. */
  value: number;
  unit: "count" | "%" | "µs";
  target: AuditTarget | null;
  /** Whether the suite asserts the target (cost rows are printed only). */
  gated: boolean;
  /** Examples of what the row counts against the policy, first ones first (at most 20 kept). */
  failures: string[];
}

/** Examples kept per row. */
export const MAX_FAILURES = 20;

/** Whether `row` meets its target; `null` when it has none. */
export function rowPasses(row: AuditRow): boolean | null {
  if (row.target === null) return null;
  return row.target.op === "<=" ? row.value <= row.target.value : row.value >= row.target.value;
}

/** A percentage row: `count` of `n`, with `failures` trimmed to `MAX_FAILURES`. */
export function rateRow(
  row: string,
  tally: { count: number; n: number; failures: string[] },
  target: AuditTarget | null,
): AuditRow {
  return {
    row,
    n: tally.n,
    count: tally.count,
    value: tally.n === 0 ? 0 : (100 * tally.count) / tally.n,
    unit: "%",
    target,
    gated: target !== null,
    failures: tally.failures.slice(0, MAX_FAILURES),
  };
}

/** A counting row: `count` of `n` judged, compared as a plain count. */
export function countRow(
  row: string,
  tally: { count: number; n: number; failures: string[] },
  target: AuditTarget,
): AuditRow {
  return { ...rateRow(row, tally, target), value: tally.count, unit: "count" };
}

/** Counts the items `isCounted` says yes to, keeping the first `MAX_FAILURES` as `describe` says. */
export function tally<T>(
  items: Iterable<T>,
  isCounted: (item: T) => boolean,
  describe: (item: T) => string = String,
): { count: number; n: number; failures: string[] } {
  let count = 0;
  let n = 0;
  const failures: string[] = [];
  for (const item of items) {
    n++;
    if (!isCounted(item)) continue;
    count++;
    if (failures.length < MAX_FAILURES) failures.push(describe(item));
  }
  return { count, n, failures };
}

/** A tally of misses turned into a tally of hits, keeping the misses as examples. */
export function invert(missed: { count: number; n: number; failures: string[] }): {
  count: number;
  n: number;
  failures: string[];
} {
  return { ...missed, count: missed.n - missed.count };
}
