/**
 * The identity side of `verify`: every account, legacy or native, in `account_id` order, must
 * have a well-formed username and public ID, and an active legacy account must still have its
 * legacy row (a deleted one is a tombstone). The username's shape is checked, not the content
 * policy: names claimed under an older policy stay (grandfathered), as do old `deleted_<id>`
 * tombstones; `deno task names:rejudge` lists what the current policy would refuse.
 *
 * @module
 */

import type pg from "../db/pg.ts";
import { isWellFormedPublicId, isWellFormedUsername } from "../policy/mod.ts";
import type { BreachTally } from "./breaches.ts";
import { keysetBatches } from "./keyset_batches.ts";
import { legacyIdsPresent } from "./legacy_ids_present.ts";
import type { LegacyTableSql } from "./legacy_table.ts";

/** The two connections of the accounts walk; never the same query, never a join across them. */
export interface AccountsWalkClients {
  identity: pg.Client;
  legacy: pg.Client;
}

/** Options of {@linkcode walkAccounts}. */
export interface AccountsWalkOptions {
  table: LegacyTableSql;
  tally: BreachTally;
  batchSize: number;
  /** Called after each batch with the number of accounts it held. */
  onRows?: (rows: number) => void;
}

interface AccountRow {
  account_id: string;
  legacy_id: string | null;
  public_id: string;
  username: string;
  status: string;
}

// Qualified, so that `order by` means the column and not the text alias of the same name.
const SELECT_ACCOUNTS =
  `select a.account_id::text as account_id, a.legacy_id, a.public_id, a.username, a.status
  from identity.accounts as a`;

/** Checks every account; returns the number of accounts. */
export async function walkAccounts(
  clients: AccountsWalkClients,
  options: AccountsWalkOptions,
): Promise<number> {
  const { table, tally, batchSize } = options;
  const batches = keysetBatches<AccountRow>(clients.identity, {
    first: `${SELECT_ACCOUNTS} order by a.account_id limit $1`,
    next: `${SELECT_ACCOUNTS} where a.account_id > $1::bigint order by a.account_id limit $2`,
    key: (row) => row.account_id,
    batchSize,
  });
  let seen = 0;
  for await (const rows of batches) {
    for (const account of rows) {
      // The public ID names the account in the report; the username never does.
      if (!isWellFormedUsername(account.username)) {
        tally.add("invalid_username", account.public_id);
      }
      if (!isWellFormedPublicId(account.public_id)) {
        tally.add("malformed_public_id", account.public_id);
      }
    }
    const active = rows
      .filter((account) => account.status === "active" && account.legacy_id !== null)
      .map((account) => account.legacy_id!);
    const present = await legacyIdsPresent(clients.legacy, table, active);
    for (const id of active) {
      if (!present.has(id)) tally.add("active_account_without_legacy_row", id);
    }
    seen += rows.length;
    options.onRows?.(rows.length);
  }
  return seen;
}
