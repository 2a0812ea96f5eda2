/**
 * A messy legacy `users` table for the demo, benchmarks and tests: created, filled with generated
 * users at the rates of {@linkcode LEGACY_USER_MIX}, and changed in batches like a live system.
 *
 * Everything runs as set-based SQL inside Postgres; a row is a function of its id and the seed,
 * so the same seed gives the same table however it is chunked.
 *
 * @module
 */
import type { QualifiedName } from "../config.ts";
import type pg from "../db/pg.ts";
import { legacyUserRowsSql } from "./legacy_user_rows_sql.ts";

export {
  LEGACY_USER_CATEGORIES,
  LEGACY_USER_MIX,
  type LegacyUserCategory,
  type LegacyUserCategoryInfo,
} from "./legacy_user_mix.ts";
export { legacyUserCategorySql } from "./legacy_user_rows_sql.ts";

/** The legacy table the generator writes unless told otherwise. */
export const DEFAULT_LEGACY_USERS_TABLE: QualifiedName = { schema: "public", name: "users" };

/** Rows per `insert` statement: keeps the server's memory flat for any row count. */
const DEFAULT_CHUNK_ROWS = 200_000;

const COLUMNS = "id, username, created_at, display_name, email";

/** A connected client: one session, so a transaction spans its statements. */
export type LegacyClient = Pick<pg.ClientBase, "query" | "escapeIdentifier">;

/** Options for {@linkcode createLegacyUsersTable}. */
export interface CreateLegacyUsersTableOptions {
  /** The table to (re)create; `public.users` by default. */
  table?: QualifiedName;
}

/**
 * Drops and creates the legacy table: `id bigint primary key, username text,
 * created_at timestamptz, display_name text, email text`. Creates its schema when missing.
 */
export async function createLegacyUsersTable(
  client: LegacyClient,
  options: CreateLegacyUsersTableOptions = {},
): Promise<void> {
  const table = options.table ?? DEFAULT_LEGACY_USERS_TABLE;
  const { rows } = await client.query("select 1 from pg_namespace where nspname = $1", [
    table.schema,
  ]);
  if (rows.length === 0) {
    await client.query(`create schema ${client.escapeIdentifier(table.schema)}`);
  }
  const name = qualified(client, table);
  await client.query(`drop table if exists ${name}`);
  await client.query(
    `create table ${name} (id bigint primary key, username text, created_at timestamptz, ` +
      "display_name text, email text)",
  );
}

/** Options for {@linkcode insertLegacyUsers}. */
export interface InsertLegacyUsersOptions {
  /** How many users to insert. */
  rows: number;
  /** The legacy table; `public.users` by default. */
  table?: QualifiedName;
  /** Id of the first user; the others follow without gaps. Defaults to 1. */
  firstId?: number;
  /** The same seed gives the same users. Defaults to 1. */
  seed?: number;
  /** Rows per statement (each its own transaction). Defaults to 200,000. */
  chunkRows?: number;
}

/**
 * Inserts `rows` generated users with ids `firstId`…`firstId + rows - 1`, in set-based chunks.
 * Their `created_at` spreads over 2015–2025 in id order, with the outliers the mix describes.
 */
export async function insertLegacyUsers(
  client: LegacyClient,
  options: InsertLegacyUsersOptions,
): Promise<void> {
  const { rows, firstId = 1, seed = 1, chunkRows = DEFAULT_CHUNK_ROWS } = options;
  const action = "Cannot insert legacy users";
  requireInteger(action, "rows", rows, 0);
  requireInteger(action, "firstId", firstId);
  requireInteger(action, "seed", seed);
  requireInteger(action, "chunkRows", chunkRows, 1);
  requireInteger(action, "firstId + rows", firstId + rows);
  const table = qualified(client, options.table ?? DEFAULT_LEGACY_USERS_TABLE);
  const text = `insert into ${table} (${COLUMNS}) ` + legacyUserRowsSql({
    ids: "generate_series($1::bigint, $2::bigint)",
    seed: "$3::bigint",
    batchFirstId: "$4::bigint",
    batchRows: "$5::bigint",
  });
  for (let offset = 0; offset < rows; offset += chunkRows) {
    const first = firstId + offset;
    const last = first + Math.min(chunkRows, rows - offset) - 1;
    await client.query(text, [first, last, seed, firstId, rows]);
  }
}

/** Options for {@linkcode changeLegacyUsers}. */
export interface ChangeLegacyUsersOptions {
  /** The legacy table; `public.users` by default. */
  table?: QualifiedName;
  /** Existing users to rename. */
  renames: number;
  /** Existing users to delete (never one that is renamed in the same call). */
  deletes: number;
  /** New users to insert, with ids from `firstNewId`; `created_at` is the transaction's time. */
  inserts: number;
  /** Id of the first new user: above every id in the table, or the call fails. */
  firstNewId: number;
  /** With `firstNewId`, decides which users change and how. Defaults to 1. */
  seed?: number;
}

/** What one {@linkcode changeLegacyUsers} call did. */
export interface LegacyUserChanges {
  /** Users renamed. */
  renamed: number;
  /** Of those, renamed back to their old name later in the same transaction. */
  renamedBack: number;
  deleted: number;
  inserted: number;
}

const CHANGES = "pg_temp.legacy_user_changes";

/**
 * Applies one batch of realistic changes in one transaction: renames (mostly to popular, contested
 * names, a fifth to the name of another user, a tenth renamed back again at once), deletes and new
 * users. Users to change are drawn through the id index, never by scanning the
 * table; on a table with fewer users than asked, fewer change. One call at a time per client.
 */
export async function changeLegacyUsers(
  client: LegacyClient,
  options: ChangeLegacyUsersOptions,
): Promise<LegacyUserChanges> {
  const { renames, deletes, inserts, firstNewId, seed = 1 } = options;
  const action = "Cannot change legacy users";
  requireInteger(action, "renames", renames, 0);
  requireInteger(action, "deletes", deletes, 0);
  requireInteger(action, "inserts", inserts, 0);
  requireInteger(action, "firstNewId", firstNewId);
  requireInteger(action, "seed", seed);
  const table = qualified(client, options.table ?? DEFAULT_LEGACY_USERS_TABLE);
  // A different stream per call: the same users are not picked, nor given the same names, twice.
  const callSeed = `hashint8extended(${firstNewId}::bigint, ${seed}::bigint)`;
  const probes = 2 * (renames + deletes) + 64;
  const count = async (text: string, values: unknown[] = []) =>
    (await client.query(text, values)).rowCount ?? 0;

  await client.query("begin");
  try {
    await client.query(
      `create temp table ${CHANGES} (id bigint primary key, pick bigint not null, ` +
        "action text not null, old_username text, new_username text) on commit drop",
    );
    // Probe random points of the id range; each takes the first user at or after it.
    await client.query(
      `insert into ${CHANGES} (id, pick, action)
       select id, pick, case when rn <= $1::bigint then 'rename' else 'delete' end
       from (select id, pick, row_number() over (order by pick) as rn
         from (select distinct on (t.id) t.id, k as pick
           from (select min(id) as lo, max(id) as hi from ${table}) b
           cross join generate_series(1, $3::int) as k
           cross join lateral (select id from ${table}
             where id >= b.lo + (hashint8extended(k, ${callSeed}) & ${INT8_MAX}) % (b.hi - b.lo + 1)
             order by id limit 1) t
           order by t.id, k) d) r
       where rn <= $1::bigint + $2::bigint`,
      [renames, deletes, probes],
    );
    await client.query(
      `update ${CHANGES} c set old_username = t.username from ${table} t where t.id = c.id`,
    );
    const renamedIds = `(select id from ${CHANGES} where action = 'rename')`;
    await client.query(
      `update ${CHANGES} c set new_username = g.username from (${
        legacyUserRowsSql({ ids: renamedIds, seed: callSeed, batchFirstId: "0", batchRows: "1" })
      }) g where g.id = c.id`,
    );
    // A fifth take the name of the next user by id: a name another account holds right now.
    await client.query(
      `update ${CHANGES} c set new_username =
         (select username from ${table} t where t.id > c.id order by t.id limit 1)
       where c.action = 'rename' and c.pick % 5 = 0`,
    );
    await client.query(
      `update ${CHANGES} set new_username = coalesce(old_username || '2', 'alex')
       where action = 'rename' and new_username is not distinct from old_username`,
    );
    const renamed = await count(
      `update ${table} t set username = c.new_username from ${CHANGES} c
       where c.id = t.id and c.action = 'rename'`,
    );
    const renamedBack = await count(
      `update ${table} t set username = c.old_username from ${CHANGES} c
       where c.id = t.id and c.action = 'rename' and c.pick % 10 = 3`,
    );
    const deleted = await count(
      `delete from ${table} t using ${CHANGES} c where c.id = t.id and c.action = 'delete'`,
    );
    const inserted = await count(
      `insert into ${table} (${COLUMNS})
       select id, username, now(), display_name, email from (${
        legacyUserRowsSql({
          ids: "generate_series($1::bigint, $2::bigint)",
          seed: `${seed}::bigint`,
          batchFirstId: "$1::bigint",
          batchRows: "1",
        })
      }) g`,
      [firstNewId, firstNewId + inserts - 1],
    );
    await client.query("commit");
    return { renamed, renamedBack, deleted, inserted };
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  }
}

const INT8_MAX = "9223372036854775807";

function qualified(client: LegacyClient, table: QualifiedName): string {
  return `${client.escapeIdentifier(table.schema)}.${client.escapeIdentifier(table.name)}`;
}

function requireInteger(action: string, name: string, value: number, min?: number): void {
  if (!Number.isSafeInteger(value) || (min !== undefined && value < min)) {
    const expected = min === undefined ? "an integer" : `an integer >= ${min}`;
    throw new RangeError(`${action}: ${name} must be ${expected}, got ${value}`);
  }
}
