/** The accounts a batch touches, read in one query before anything is decided. */
import type pg from "../db/pg.ts";
import type { AccountChange } from "./account_change.ts";

/** An account as the apply reads and writes it. */
export interface StoredAccount {
  accountId: string;
  legacyId: string;
  publicId: string;
  username: string;
  usernameSkeleton: string;
  usernameSource: string;
  displayName: string | null;
  /** The legacy username as last seen, escaped as in the report. */
  legacyUsername: string | null;
  status: "active" | "deleted";
  /** As PostgreSQL prints a timestamptz in this session: it reads back to the same instant. */
  legacyCreatedAt: string | null;
  sourceLsn: string | null;
}

/** The distinct legacy ids of `changes`, a re-key's previous id included, in order of appearance. */
export function legacyIdsOf(changes: readonly AccountChange[]): string[] {
  const ids = new Set<string>();
  for (const change of changes) {
    if (change.previousLegacyId !== undefined) ids.add(change.previousLegacyId);
    ids.add(change.legacyId);
  }
  return [...ids];
}

/** Reads the accounts of `legacyIds` that exist, by legacy id. */
export async function readAccounts(
  client: pg.ClientBase,
  legacyIds: readonly string[],
): Promise<Map<string, StoredAccount>> {
  if (legacyIds.length === 0) return new Map();
  const { rows } = await client.query<StoredAccount>(
    `select account_id::text as "accountId", legacy_id as "legacyId", public_id as "publicId",
            username, username_skeleton as "usernameSkeleton",
            username_source as "usernameSource", display_name as "displayName",
            legacy_username as "legacyUsername", status,
            legacy_created_at::text as "legacyCreatedAt", source_lsn::text as "sourceLsn"
     from identity.accounts where legacy_id = any($1::text[])`,
    [legacyIds],
  );
  return new Map(rows.map((row) => [row.legacyId, row]));
}

/** The LSN of each account before a call: the guard every change of the call is judged by. */
export function baselineOf(
  accounts: ReadonlyMap<string, StoredAccount>,
): Map<string, string | null> {
  return new Map([...accounts.values()].map((account) => [account.legacyId, account.sourceLsn]));
}
