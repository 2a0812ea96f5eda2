/** SQL literals for the demo generator's constant pools. */

/** A text literal holding `value` exactly, whatever `standard_conforming_strings` says. */
export function sqlText(value: string): string {
  if (value.includes("\0")) {
    throw new RangeError(`Cannot quote text ${JSON.stringify(value)}: text cannot hold NUL`);
  }
  return `E'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/** A `text[]` literal. */
export function sqlTextArray(values: readonly string[]): string {
  return `array[${values.map(sqlText).join(", ")}]::text[]`;
}

/** One of `values`, chosen by the non-negative integer SQL expression `index`. */
export function sqlPick(values: readonly string[], index: string): string {
  if (values.length === 0) throw new RangeError("Cannot pick from an empty list");
  return `(${sqlTextArray(values)})[1 + (${index}) % ${values.length}]`;
}
