/**
 * COPY … FROM STDIN for bulk writes: PostgreSQL's fastest way in, several times
 * cheaper than INSERT … SELECT over parameters for thousands of rows.
 */
// @ts-types="@types/pg-copy-streams"
import { from as copyFrom } from "pg-copy-streams";
import { arrayLiteral } from "./array_literal.ts";
import type pg from "./pg.ts";

/** A value COPY's text format can carry: null is `\N`; arrays become array literals. */
export type CopyValue = string | number | null | readonly string[];

/**
 * Writes `rows` into `table (columns)` with one COPY in the text format. Every
 * value is escaped here; identifiers must be trusted SQL.
 */
export async function copyRows(
  client: pg.ClientBase,
  target: string,
  rows: readonly (readonly CopyValue[])[],
): Promise<void> {
  if (rows.length === 0) return;
  const lines = rows.map((row) => row.map(copyField).join("\t")).join("\n") + "\n";
  const stream = client.query(copyFrom(`copy ${target} from stdin`));
  await new Promise<void>((resolve, reject) => {
    stream.on("error", reject);
    stream.on("finish", resolve);
    stream.end(lines);
  });
}

function copyField(value: CopyValue): string {
  if (value === null) return "\\N";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return escapeCopy(value);
  return escapeCopy(arrayLiteral(value));
}

const SPECIAL = /[\\\t\n\r]/;

/** Escapes a field for COPY's text format: backslash, tab, newline, carriage return. */
function escapeCopy(value: string): string {
  if (!SPECIAL.test(value)) return value;
  return value.replaceAll("\\", "\\\\").replaceAll("\t", "\\t").replaceAll("\n", "\\n")
    .replaceAll("\r", "\\r");
}
