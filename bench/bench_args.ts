/** The flags the benchmarks share, checked once. */

/** `text` as a positive integer, or a RangeError naming `flag`. */
export function positiveInteger(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Cannot run the benchmark: --${flag} "${text}" is not a positive integer`);
  }
  return value;
}

/** The `--runs` default: each side runs this many times, and the median is reported. */
export const DEFAULT_RUNS = "3";
