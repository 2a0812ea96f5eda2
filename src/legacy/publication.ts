/**
 * The publication the stream reads: the legacy table, and only it. Where the server has column
 * lists (PostgreSQL 15+), only the columns the service maps leave the legacy server, with those of
 * the replica identity: less to decode and send, and e-mail addresses, password hashes and every
 * other column never reach the service.
 */
import type pg from "../db/pg.ts";
import type { LegacyTable } from "./legacy_table.ts";

/** The first PostgreSQL (`server_version_num`) whose publications have column lists. */
export const COLUMN_LISTS_SINCE = 150000;

/** The replica identity's columns of the table `c` (by its primary key or its chosen index). */
const IDENTITY_COLUMNS = `array(select a.attname::text from pg_index i
  join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
  where i.indrelid = c.oid
    and case c.relreplident when 'd' then i.indisprimary when 'i' then i.indisreplident
                            else false end
  order by a.attnum)`;

/** What the publication sends of the table, as this call made it. */
export interface PublishedColumns {
  /** The listed columns (raw names), or null: every column. */
  columns: string[] | null;
  /** Why every column, when so. */
  whole?: string;
  /** The table was published already: left as it was (columns and whole then say nothing). */
  existing?: boolean;
}

/**
 * Creates the publication for the legacy table, or adds the table to an existing one, with the
 * columns `mapped` (raw names) and those of the replica identity where the server allows a
 * column list and the identity permits one. A table already published is left as it is.
 */
export async function ensurePublication(
  client: pg.ClientBase,
  publicationName: string,
  table: LegacyTable,
  mapped: string[],
): Promise<PublishedColumns> {
  const quoted = `"${publicationName}"`;
  const { rows } = await client.query<{ has_table: boolean }>(
    `select exists (select 1 from pg_publication_tables
                    where pubname = $1 and schemaname = $2 and tablename = $3) as has_table
     from pg_publication where pubname = $1`,
    [publicationName, table.schema, table.table],
  );
  if (rows[0]?.has_table) return { columns: null, existing: true };
  const published = await columnsToPublish(client, table, mapped);
  const target = published.columns
    ? `${table.sql} (${published.columns.map((name) => client.escapeIdentifier(name)).join(", ")})`
    : table.sql;
  if (rows.length === 0) {
    await client.query(`create publication ${quoted} for table ${target}`);
  } else {
    await client.query(`alter publication ${quoted} add table ${target}`);
  }
  return published;
}

/**
 * The columns to publish: the mapped ones and the replica identity's, or null (all) before
 * PostgreSQL 15, or under REPLICA IDENTITY FULL, which a column list would have to cover whole
 * (the legacy table's updates would fail otherwise).
 */
async function columnsToPublish(
  client: pg.ClientBase,
  table: LegacyTable,
  mapped: string[],
): Promise<PublishedColumns> {
  const { rows: [row] } = await client.query<
    { version: number; identity: string; identity_columns: string[] }
  >(
    `select current_setting('server_version_num')::int as version, c.relreplident as identity,
            ${IDENTITY_COLUMNS} as identity_columns
     from pg_class c where c.oid = $1`,
    [table.oid],
  );
  if (row!.version < COLUMN_LISTS_SINCE) {
    const major = Math.floor(row!.version / 10_000);
    return { columns: null, whole: `PostgreSQL ${major} has no column lists` };
  }
  if (row!.identity === "f") {
    return {
      columns: null,
      whole: "REPLICA IDENTITY FULL: a column list would have to hold every column",
    };
  }
  return { columns: [...new Set([...mapped, ...row!.identity_columns])] };
}

/**
 * The columns a publication sends of the table beyond `mapped` and the replica identity (raw
 * names; column names, never values). PostgreSQL 15+; none when the table is not published.
 */
export async function unneededPublishedColumns(
  client: pg.ClientBase,
  publicationName: string,
  table: Pick<LegacyTable, "schema" | "table" | "oid">,
  mapped: string[],
): Promise<string[]> {
  const { rows } = await client.query<{ published: { attnames?: string[] } | null }>(
    `select (select to_jsonb(t) from pg_publication_tables t
             where t.pubname = $1 and t.schemaname = $2 and t.tablename = $3) as published`,
    [publicationName, table.schema, table.table],
  );
  const attnames = rows[0]?.published?.attnames;
  if (!Array.isArray(attnames)) return [];
  const { rows: [identity] } = await client.query<{ full: boolean; columns: string[] }>(
    `select c.relreplident = 'f' as full, ${IDENTITY_COLUMNS} as columns
     from pg_class c where c.oid = $1`,
    [table.oid],
  );
  // Under REPLICA IDENTITY FULL every column is the identity's.
  if (identity!.full) return [];
  const needed = new Set([...mapped, ...identity!.columns]);
  return attnames.filter((name) => !needed.has(name));
}
