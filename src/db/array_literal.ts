/**
 * PostgreSQL array literals built here rather than by node-postgres: a batch of the stream sends
 * eight arrays of thousands of values a statement, and node-postgres escapes every element with
 * two regular-expression replaces (a tenth of the daemon's time on a burst).
 */

/** An element of an array literal: a string (always quoted), a boolean, or null. */
export type ArrayElement = string | boolean | null;

const NEEDS_ESCAPE = /["\\]/;

/** `value` quoted as an element of an array literal, `"` and `\` escaped. */
function quotedElement(value: string): string {
  return NEEDS_ESCAPE.test(value)
    ? `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`
    : `"${value}"`;
}

/**
 * `values` as an array literal (`{"a",NULL,t}`) for a parameter cast to an array type
 * (`$1::text[]`): every string quoted, so `NULL`, commas, braces and spaces stay text.
 */
export function arrayLiteral(values: readonly ArrayElement[]): string {
  let literal = "{";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) literal += ",";
    const value = values[i]!;
    if (value === null) literal += "NULL";
    else if (typeof value === "boolean") literal += value ? "t" : "f";
    else literal += quotedElement(value);
  }
  return literal + "}";
}
