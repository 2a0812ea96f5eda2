/**
 * The identity tables as Kysely sees them, for the account operations other services call
 * in-process (`mod.ts`), and a Kysely instance over a `pg` pool.
 */
import { type ColumnType, type Generated, Kysely, PostgresDialect } from "kysely";
import pg from "./pg.ts";

/** `identity.accounts`. */
export interface AccountsTable {
  account_id: ColumnType<string, never, never>;
  legacy_id: ColumnType<string | null, string | null | undefined, never>;
  public_id: ColumnType<string, string, never>;
  username: string;
  username_skeleton: string;
  username_source: string;
  display_name: string | null;
  legacy_username: string | null;
  status: Generated<"active" | "deleted">;
  legacy_created_at: Date | null;
  source_lsn: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** `identity.username_holds`. */
export interface UsernameHoldsTable {
  username: string;
  account_id: string;
  reason: "renamed" | "deleted" | "reserved";
  held_until: Date | null;
  created_at: Generated<Date>;
}

/** `identity.username_history`. */
export interface UsernameHistoryTable {
  history_id: Generated<string>;
  account_id: string;
  old_username: string;
  new_username: string;
  source: "api" | "legacy";
  changed_at: Generated<Date>;
}

/** The identity schema's tables that the account operations use. */
export interface Database {
  "identity.accounts": AccountsTable;
  "identity.username_holds": UsernameHoldsTable;
  "identity.username_history": UsernameHistoryTable;
}

/** Options of {@linkcode createDatabase}. */
export interface DatabaseOptions {
  /** Connections of the pool, at most. */
  max?: number;
  /** Milliseconds to wait for a connection (a free one, or a new one) before failing; none: forever. */
  acquireTimeoutMs?: number;
  /** The `statement_timeout` of each connection, in milliseconds; none: the server's. */
  statementTimeoutMs?: number;
}

/** A Kysely instance on a pool of `max` connections to `url`; `destroy()` it when done. */
export function createDatabase(url: string, options: DatabaseOptions = {}): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.acquireTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
  });
  pool.on("error", () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
