/**
 * What the snapshot needs to know of the legacy database before it touches
 * anything: logical decoding on, a user allowed to replicate, and the table
 * with its primary key and the configured columns.
 */
import type { Config } from "../config.ts";
import type pg from "../db/pg.ts";

/** The legacy table as the snapshot reads it. */
export interface LegacyTable {
  /** `"schema"."table"`, quoted. */
  sql: string;
  /** `schema.table`, for messages and sync_state. */
  name: string;
  schema: string;
  table: string;
  /** Quoted column names. */
  columns: { id: string; username: string; createdAt: string; displayName?: string };
  /** The key's type as PostgreSQL spells it (`bigint`, `uuid`, `text`…), for casts. */
  keyType: string;
  /** Whether the key is an integer (ordered numerically; kept as `legacy_int`). */
  integerKey: boolean;
  /** The table's relation OID: another one under the same name is another table. */
  oid: number;
  /** The type OID of each mapped column, by raw column name: a change of type is a change. */
  columnTypeOids: Record<string, number>;
  /**
   * The zone a creation time is read in (`LEGACY_TIMEZONE`) when its column has none
   * (`timestamp without time zone`, `date`); null when it is a `timestamptz`, an instant.
   */
  createdAtZone: string | null;
}

/** A legacy database that the snapshot cannot work with; the message says why and what to do. */
export class LegacyDatabaseError extends Error {
  override name = "LegacyDatabaseError";
}

const INTEGER_TYPES = new Set(["smallint", "integer", "bigint"]);
const TIME_TYPES = new Set([
  "timestamp with time zone",
  "timestamp without time zone",
  "date",
]);

/** Checks the legacy database and describes its table; throws a clear error when it cannot be used. */
export async function inspectLegacyTable(
  client: pg.ClientBase,
  config: Pick<Config, "legacyTable" | "legacyColumns" | "legacyTimezone">,
  options: { replication?: boolean } = {},
): Promise<LegacyTable> {
  const name = `${config.legacyTable.schema}.${config.legacyTable.name}`;
  if (options.replication !== false) await checkReplication(client);
  const relation = await client.query<{ oid: number }>(
    `select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p')`,
    [config.legacyTable.schema, config.legacyTable.name],
  );
  const oid = relation.rows[0]?.oid;
  if (oid === undefined) {
    throw new LegacyDatabaseError(
      `Cannot read the legacy table: ${name} does not exist (set LEGACY_TABLE to schema.table)`,
    );
  }
  const { rows: attributes } = await client.query<
    { attname: string; type: string; type_oid: number }
  >(
    `select attname, format_type(atttypid, atttypmod) as type, atttypid::int as type_oid
     from pg_attribute where attrelid = $1 and attnum > 0 and not attisdropped`,
    [oid],
  );
  const types = new Map(attributes.map((a) => [a.attname, a.type]));
  const typeOids = new Map(attributes.map((a) => [a.attname, a.type_oid]));
  const { id, username, createdAt, displayName } = config.legacyColumns;
  const wanted: [string, string, string][] = [
    ["LEGACY_ID_COLUMN", id, "any"],
    ["LEGACY_USERNAME_COLUMN", username, "text"],
    ["LEGACY_CREATED_AT_COLUMN", createdAt, "time"],
    ...(displayName
      ? [["LEGACY_DISPLAY_NAME_COLUMN", displayName, "text"] as [string, string, string]]
      : []),
  ];
  for (const [setting, column, kind] of wanted) {
    const type = types.get(column);
    if (type === undefined) {
      throw new LegacyDatabaseError(
        `Cannot read the legacy table: ${name} has no column "${column}" (${setting}); its columns are ${
          [...types.keys()].join(", ")
        }`,
      );
    }
    if (kind === "time" && !TIME_TYPES.has(type)) {
      throw new LegacyDatabaseError(
        `Cannot read the legacy table: ${name}.${column} (${setting}) is ${type}, not a timestamp or date`,
      );
    }
    if (kind === "text" && !/^(text|character varying|character|citext|name)\b/.test(type)) {
      throw new LegacyDatabaseError(
        `Cannot read the legacy table: ${name}.${column} (${setting}) is ${type}, not a text type`,
      );
    }
  }
  const { rows: key } = await client.query<{ attname: string }>(
    `select a.attname from pg_index i
     join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
     where i.indrelid = $1 and i.indisprimary`,
    [oid],
  );
  if (key.length === 0) {
    throw new LegacyDatabaseError(
      `Cannot read the legacy table: ${name} has no primary key; the snapshot and the stream need one on "${id}" (LEGACY_ID_COLUMN)`,
    );
  }
  if (key.length > 1 || key[0]!.attname !== id) {
    throw new LegacyDatabaseError(
      `Cannot read the legacy table: its primary key is (${
        key.map((k) => k.attname).join(", ")
      }), not "${id}" alone (LEGACY_ID_COLUMN)`,
    );
  }
  const identityProblem = await replicaIdentityProblem(client, oid, id);
  if (identityProblem) {
    throw new LegacyDatabaseError(`Cannot read the legacy table: ${name} ${identityProblem}`);
  }
  const keyType = types.get(id)!;
  const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
  return {
    sql: `${quote(config.legacyTable.schema)}.${quote(config.legacyTable.name)}`,
    name,
    schema: config.legacyTable.schema,
    table: config.legacyTable.name,
    columns: {
      id: quote(id),
      username: quote(username),
      createdAt: quote(createdAt),
      displayName: displayName ? quote(displayName) : undefined,
    },
    keyType,
    integerKey: INTEGER_TYPES.has(keyType),
    oid,
    columnTypeOids: Object.fromEntries(
      wanted.map(([, column]) => [column, typeOids.get(column)!]),
    ),
    createdAtZone: types.get(createdAt) === "timestamp with time zone"
      ? null
      : config.legacyTimezone,
  };
}

/**
 * Why the table's REPLICA IDENTITY cannot tell the stream which row an update or delete changed,
 * or null when it can: the default (the primary key, checked to be the id column), FULL, or an
 * index that includes the id column. With NOTHING, or an index without it, a delete or a change
 * of key would arrive without the id.
 */
export async function replicaIdentityProblem(
  client: pg.ClientBase,
  oid: number,
  idColumn: string,
): Promise<string | null> {
  const { rows } = await client.query<{ identity: string; index: string | null; has_id: boolean }>(
    `select c.relreplident as identity, i.indexrelid::regclass::text as index,
            coalesce(a.attnum = any(i.indkey), false) as has_id
     from pg_class c
     left join pg_index i on i.indrelid = c.oid and i.indisreplident
     left join pg_attribute a on a.attrelid = c.oid and a.attname = $2
     where c.oid = $1`,
    [oid, idColumn],
  );
  const row = rows[0];
  if (row === undefined) return "no longer exists";
  const fix = `run ALTER TABLE … REPLICA IDENTITY DEFAULT (or FULL)`;
  if (row.identity === "n") {
    return `has REPLICA IDENTITY NOTHING: its deletes and key changes would not say which row; ${fix}`;
  }
  if (row.identity === "i" && !row.has_id) {
    return `has REPLICA IDENTITY USING INDEX ${row.index}, which does not include "${idColumn}" (LEGACY_ID_COLUMN): its deletes and key changes would not carry the id; ${fix}`;
  }
  return null;
}

async function checkReplication(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ wal_level: string; can_replicate: boolean; user: string }>(
    `select current_setting('wal_level') as wal_level, current_user as user,
            (select rolreplication or rolsuper from pg_roles where rolname = current_user) as can_replicate`,
  );
  const row = rows[0]!;
  if (row.wal_level !== "logical") {
    throw new LegacyDatabaseError(
      `Cannot snapshot the legacy database: wal_level is "${row.wal_level}", not "logical"; set wal_level = logical in postgresql.conf and restart PostgreSQL`,
    );
  }
  if (!row.can_replicate) {
    throw new LegacyDatabaseError(
      `Cannot snapshot the legacy database: user "${row.user}" lacks the REPLICATION attribute; run ALTER ROLE "${row.user}" REPLICATION`,
    );
  }
}
