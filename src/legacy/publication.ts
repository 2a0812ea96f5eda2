/** The publication the stream reads: the legacy table, and only it. */
import type pg from "../db/pg.ts";
import type { LegacyTable } from "./legacy_table.ts";

/** Creates the publication for the legacy table, or adds the table to an existing one. */
export async function ensurePublication(
  client: pg.ClientBase,
  publicationName: string,
  table: LegacyTable,
): Promise<void> {
  const quoted = `"${publicationName}"`;
  const { rows } = await client.query<{ has_table: boolean }>(
    `select exists (select 1 from pg_publication_tables
                    where pubname = $1 and schemaname = $2 and tablename = $3) as has_table
     from pg_publication where pubname = $1`,
    [publicationName, table.schema, table.table],
  );
  if (rows.length === 0) {
    await client.query(`create publication ${quoted} for table ${table.sql}`);
  } else if (!rows[0]!.has_table) {
    await client.query(`alter publication ${quoted} add table ${table.sql}`);
  }
}
