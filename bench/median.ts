/** What N runs of one measurement came to: the median, and the spread from least to most. */

/** The median and the spread (min–max) of a measurement over runs. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The median, min and max of `values` (at least one). */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError("Cannot summarise runs: there are none");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 === 1
    ? sorted[middle]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}

/** `12.3 s (11.9–13.0)`: the median with the spread, `digits` decimals. */
export function formatSpread(value: Spread, unit: string, digits = 2): string {
  const f = (n: number) => n.toFixed(digits);
  return `${f(value.median)} ${unit} (${f(value.min)}–${f(value.max)})`;
}
