/**
 * The identity side of `verify`: every account, legacy or native, in `account_id` order, must
 * have a well-formed username and public ID; an active legacy account must still have its legacy
 * row, and a tombstone must not (native accounts have none to compare). A disagreement counts
 * only once the stream has applied what the legacy read saw. The username's shape is checked, not
 * the content policy: names claimed under an older policy stay (grandfathered), as do old
 * `deleted_<id>` tombstones; `deno task names:rejudge` lists what the current policy would refuse.
 *
 * @module
 */

import type pg from "../db/pg.ts";
import { isWellFormedPublicId, isWellFormedUsername } from "../policy/mod.ts";
import type { BreachTally } from "./breaches.ts";
import { keysetBatches } from "./keyset_batches.ts";
import { legacyIdsPresent } from "./legacy_ids_present.ts";
import type { LegacyTableSql } from "./legacy_table.ts";
import { settleLegacyStatus } from "./settle_legacy_status.ts";
import type { StreamWatch } from "./wait_for_stream.ts";

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
  /** The stream, waited for before a disagreement with the legacy table is counted. */
  stream: StreamWatch;
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
    const linked = rows.filter((account) => account.legacy_id !== null);
    const present = await legacyIdsPresent(
      clients.legacy,
      table,
      linked.map((account) => account.legacy_id!),
    );
    const disagreeing = linked
      .filter((account) => (account.status === "active") !== present.has(account.legacy_id!))
      .map((account) => account.legacy_id!);
    if (disagreeing.length > 0) {
      const settled = await settleLegacyStatus(clients, disagreeing, {
        table,
        stream: options.stream,
      });
      for (const [id, breach] of settled) {
        // A legacy row without any account is the legacy walk's to count.
        if (breach !== "legacy_row_without_account") tally.add(breach, id);
      }
    }
    seen += rows.length;
    options.onRows?.(rows.length);
  }
  return seen;
}
