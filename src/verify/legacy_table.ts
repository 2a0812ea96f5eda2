/**
 * The legacy table as SQL fragments, after checking that it and its key and username columns
 * exist, so that a typo in the configuration stops `verify` with one clear line.
 *
 * @module
 */

import type pg from "../db/pg.ts";
import type { QualifiedName } from "../config.ts";
import { VerifyError } from "./verify_error.ts";

/** Quoted identifiers of the legacy table and of the columns `verify` reads. */
export interface LegacyTableSql {
  /** `"schema"."table"`. */
  table: string;
  /** The quoted key column. */
  id: string;
  /** The quoted username column. */
  username: string;
  /** The planner's row estimate, for progress; undefined before the first ANALYZE. */
  rowsEstimate?: number;
}

/** The legacy columns `verify` reads. */
export interface LegacyColumnNames {
  id: string;
  username: string;
}

/**
 * Checks that `table` has the `columns` and returns them quoted.
 *
 * @throws {VerifyError} of kind `legacy_table_missing` when the table or a column is not there.
 */
export async function describeLegacyTable(
  client: pg.Client,
  table: QualifiedName,
  columns: LegacyColumnNames,
): Promise<LegacyTableSql> {
  const quoted = `${client.escapeIdentifier(table.schema)}.${client.escapeIdentifier(table.name)}`;
  const shown = `${table.schema}.${table.name}`;
  const { rows } = await client.query<{ found: boolean; columns: string[]; estimate: number }>(
    `select c.oid is not null as found,
            coalesce(array(
              select a.attname::text from pg_attribute a
              where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            ), '{}') as columns,
            coalesce(c.reltuples, -1)::float8 as estimate
     from (select to_regclass($1)::oid as oid) r left join pg_class c on c.oid = r.oid`,
    [quoted],
  );
  const found = rows[0];
  if (!found?.found) {
    throw new VerifyError(
      "legacy_table_missing",
      `Cannot verify: the legacy table ${shown} does not exist in the legacy database`,
    );
  }
  for (const [setting, column] of Object.entries(columns)) {
    if (!found.columns.includes(column)) {
      throw new VerifyError(
        "legacy_table_missing",
        `Cannot verify: the legacy table ${shown} has no ${setting} column "${column}"`,
      );
    }
  }
  return {
    table: quoted,
    id: client.escapeIdentifier(columns.id),
    username: client.escapeIdentifier(columns.username),
    rowsEstimate: found.estimate >= 0 ? Math.round(found.estimate) : undefined,
  };
}
