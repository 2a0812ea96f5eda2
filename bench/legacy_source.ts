/**
 * The benchmarks' legacy table: the demo's generated users plus a column the daemon does not
 * mirror, `last_login_at`, which a live system updates more than anything else.
 */
import { createLegacyUsersTable, insertLegacyUsers } from "../src/demo/legacy_users.ts";
import type pg from "../src/db/pg.ts";

/** The columns of the legacy `users` table in the benchmarks, in order. */
export const LEGACY_COLUMNS =
  "id bigint primary key, username text, created_at timestamptz, display_name text, email text, " +
  "last_login_at timestamptz";

/** (Re)creates `users` with `rows` generated users (seed 1: the same rows every time). */
export async function prepareLegacyUsers(client: pg.ClientBase, rows: number): Promise<void> {
  await createLegacyUsersTable(client);
  await client.query("alter table users add column last_login_at timestamptz");
  await insertLegacyUsers(client, { rows });
  await client.query("vacuum analyze users");
}
