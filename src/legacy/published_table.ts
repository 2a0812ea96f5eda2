/**
 * Whether the legacy table, as published, still gives the stream every change it mirrors: the
 * same table (not one dropped and created again), a REPLICA IDENTITY that names the row, and a
 * publication that sends its inserts, updates and deletes, every row and every mapped column.
 * Checked before streaming and again with every heartbeat, since none of these changes shows in
 * the stream itself: a publication narrowed to inserts simply stops sending deletes.
 */
import type { Config } from "../config.ts";
import type pg from "../db/pg.ts";
import { type LegacyTable, replicaIdentityProblem } from "./legacy_table.ts";
import { LegacyStreamError } from "./legacy_stream_error.ts";

/** The table the stream reads, and through which publication. */
export interface PublishedTable {
  publicationName: string;
  table: Pick<LegacyTable, "name" | "schema" | "table"> & Partial<Pick<LegacyTable, "oid">>;
  /** Raw (unquoted) column names; checked against the publication's column list. */
  columns?: Config["legacyColumns"];
}

const MEANWHILE =
  "changes made since may not have been sent, so once it is fixed, re-snapshot under a new slot: set SLOT_NAME and PUBLICATION_NAME to new names, run `deno task snapshot`, then `deno task sync`";

/** Throws a `LegacyStreamError` when the published table can no longer serve the stream. */
export async function checkPublishedTable(
  client: pg.ClientBase,
  source: PublishedTable,
): Promise<void> {
  const { publicationName, table, columns } = source;
  const fail = (kind: LegacyStreamError["kind"], text: string): never => {
    throw new LegacyStreamError(kind, `Cannot stream ${table.name}: ${text}`);
  };
  const { rows: relations } = await client.query<{ oid: number }>(
    `select c.oid::int as oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relname = $2`,
    [table.schema, table.table],
  );
  const oid = relations[0]?.oid;
  if (oid === undefined) fail("table-replaced", `it no longer exists (dropped); ${MEANWHILE}`);
  if (table.oid !== undefined && oid !== table.oid) {
    fail(
      "table-replaced",
      `it was dropped and created again (relation ${table.oid}, now ${oid}), so its rows are not the ones the accounts mirror; ${MEANWHILE}`,
    );
  }
  if (columns) {
    const { rows: present } = await client.query<{ attname: string }>(
      "select attname from pg_attribute where attrelid = $1 and attnum > 0 and not attisdropped",
      [oid],
    );
    const names = new Set(present.map((row) => row.attname));
    for (const [setting, column] of mappedColumns(columns)) {
      if (!names.has(column)) {
        fail("column-missing", `it no longer has column "${column}" (${setting})`);
      }
    }
    const problem = await replicaIdentityProblem(client, oid!, columns.id);
    if (problem) fail("no-key", `it ${problem}`);
  }
  // to_jsonb reads what only some majors have (row filters and column lists: 15+).
  const { rows: publications } = await client.query<
    { pub: Record<string, unknown>; published: Record<string, unknown> | null }
  >(
    `select to_jsonb(p) as pub,
            (select to_jsonb(t) from pg_publication_tables t
             where t.pubname = p.pubname and t.schemaname = $2 and t.tablename = $3) as published
     from pg_publication p where p.pubname = $1`,
    [publicationName, table.schema, table.table],
  );
  const found = publications[0];
  if (!found?.published) {
    fail(
      "publication-missing",
      `publication "${publicationName}" ${
        found ? "does not publish it" : "does not exist"
      }; the snapshot creates it (or run CREATE PUBLICATION "${publicationName}" FOR TABLE ${table.name})`,
    );
  }
  const { pub, published } = found!;
  const withheld = (["insert", "update", "delete"] as const).filter((op) =>
    pub[`pub${op}`] !== true
  );
  if (withheld.length > 0) {
    fail(
      "publication-changed",
      `publication "${publicationName}" does not publish its ${
        withheld.map((op) => `${op}s`).join(", ")
      } (ALTER PUBLICATION … SET (publish = …)); ${MEANWHILE}`,
    );
  }
  if (typeof published!.rowfilter === "string") {
    fail(
      "publication-changed",
      `publication "${publicationName}" sends only its rows WHERE ${
        published!.rowfilter
      }; ${MEANWHILE}`,
    );
  }
  const listed = published!.attnames;
  if (columns && Array.isArray(listed)) {
    const missing = mappedColumns(columns).map(([, column]) => column)
      .filter((column) => !listed.includes(column));
    if (missing.length > 0) {
      fail(
        "publication-changed",
        `publication "${publicationName}" leaves out its column${missing.length > 1 ? "s" : ""} ${
          missing.map((column) => `"${column}"`).join(", ")
        }; ${MEANWHILE}`,
      );
    }
  }
}

/** The raw names of the mapped columns. */
export function mappedColumnNames(columns: Config["legacyColumns"]): string[] {
  return mappedColumns(columns).map(([, column]) => column);
}

/** The mapped columns with the setting that names each. */
function mappedColumns(columns: Config["legacyColumns"]): [string, string][] {
  const mapped: [string, string | undefined][] = [
    ["LEGACY_ID_COLUMN", columns.id],
    ["LEGACY_USERNAME_COLUMN", columns.username],
    ["LEGACY_CREATED_AT_COLUMN", columns.createdAt],
    ["LEGACY_DISPLAY_NAME_COLUMN", columns.displayName],
  ];
  return mapped.filter((entry): entry is [string, string] => entry[1] !== undefined);
}
