/**
 * Values written into a statement's text, for the simple protocol: several statements in one round
 * trip, and no portal left open after them (a statement with parameters keeps its portal, and the
 * portal its snapshot, until the next statement).
 */

/** `value` as an SQL literal: an escape string, whatever `standard_conforming_strings` says. */
export function sqlLiteral(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`Cannot write ${value} as an SQL literal`);
    return String(value);
  }
  return `E'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/** `text` with each parameter `$n` replaced by `values[n - 1]` as a literal. */
export function inlineParameters(
  text: string,
  values: readonly (string | number | null | undefined)[],
): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const index = Number(n) - 1;
    if (index >= values.length) throw new RangeError(`Cannot inline $${n}: no such value`);
    return sqlLiteral(values[index]);
  });
}
