/**
 * Which of some legacy ids (as text) still have a row in the legacy table, looked up through the
 * key's own type so that the key's index serves the lookup.
 *
 * @module
 */

import type pg from "../db/pg.ts";
import type { LegacyTableSql } from "./legacy_table.ts";

/** SQLSTATE class 22, data exception: a value that is not of the key's type (`abc` for a bigint). */
function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("22");
}

/** The ids of `ids` that are the text form (`id::text`) of a key of the legacy table. */
export async function legacyIdsPresent(
  client: pg.Client,
  table: LegacyTableSql,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  try {
    // `$1` takes the type of the key column, an array of it: an index lookup, not a scan.
    const { rows } = await client.query<{ id: string }>(
      `select ${table.id}::text as id from ${table.table} where ${table.id} = any($1)`,
      [ids],
    );
    return new Set(rows.map((row) => row.id));
  } catch (error) {
    if (!isDataException(error)) throw error;
    // Some id cannot be a key at all; split until it is alone. Such an id has no legacy row.
    if (ids.length === 1) return new Set();
    const middle = Math.ceil(ids.length / 2);
    const left = await legacyIdsPresent(client, table, ids.slice(0, middle));
    const right = await legacyIdsPresent(client, table, ids.slice(middle));
    return new Set([...left, ...right]);
  }
}
