/**
 * The legacy side of `verify`: every legacy row, in key order, must have exactly one account, and
 * an active account whose username is not the legacy value ASCII-lower-cased must have a report
 * row (a tombstone's name is the system's, never a decision about the legacy value). A row without
 * an account counts only once the stream has applied what the legacy read saw.
 *
 * @module
 */

import type pg from "../db/pg.ts";
import { asciiLowerCase } from "./ascii_lower_case.ts";
import type { BreachTally } from "./breaches.ts";
import { keysetBatches } from "./keyset_batches.ts";
import type { LegacyTableSql } from "./legacy_table.ts";
import { settleLegacyStatus } from "./settle_legacy_status.ts";
import type { StreamWatch } from "./wait_for_stream.ts";

/** The two connections of the legacy walk; never the same query, never a join across them. */
export interface LegacyWalkClients {
  legacy: pg.Client;
  identity: pg.Client;
}

/** Options of {@linkcode walkLegacyRows}. */
export interface LegacyWalkOptions {
  table: LegacyTableSql;
  tally: BreachTally;
  batchSize: number;
  /** The stream, waited for before a row without an account is counted. */
  stream: StreamWatch;
  /** Called after each batch with the number of legacy rows it held. */
  onRows?: (rows: number) => void;
}

interface LegacyRow {
  id: string;
  username: string | null;
}

interface AccountRow {
  legacy_id: string;
  username: string;
  status: string;
}

/** Checks every legacy row against the identity database; returns the number of legacy rows. */
export async function walkLegacyRows(
  clients: LegacyWalkClients,
  options: LegacyWalkOptions,
): Promise<number> {
  const { table, tally, batchSize } = options;
  // The key keeps its own type: `$1` takes the type of the key column, so integer keys page in
  // numeric order and text keys in their column's collation, the same order as `order by`.
  // Qualified, so that `order by` means the column and not the text alias of the same name.
  const id = `legacy.${table.id}`;
  const select = `select ${id}::text as id, legacy.${table.username}::text as username
    from ${table.table} as legacy`;
  const batches = keysetBatches<LegacyRow>(clients.legacy, {
    first: `${select} where ${id} is not null order by ${id} limit $1`,
    next: `${select} where ${id} > $1 order by ${id} limit $2`,
    key: (row) => row.id,
    batchSize,
  });
  let seen = 0;
  for await (const rows of batches) {
    const unaccounted = await checkBatch(clients.identity, rows, tally);
    if (unaccounted.length > 0) {
      const settled = await settleLegacyStatus(clients, unaccounted, {
        table,
        stream: options.stream,
      });
      for (const [id, breach] of settled) {
        // The other disagreements are the accounts walk's to count.
        if (breach === "legacy_row_without_account") tally.add(breach, id);
      }
    }
    seen += rows.length;
    options.onRows?.(rows.length);
  }
  return seen;
}

/** Counts what one batch breaches; returns the ids of rows without an account, to re-check. */
async function checkBatch(
  identity: pg.Client,
  rows: LegacyRow[],
  tally: BreachTally,
): Promise<string[]> {
  const { rows: accounts } = await identity.query<AccountRow>(
    `select legacy_id, username, status from identity.accounts where legacy_id = any($1::text[])`,
    [rows.map((row) => row.id)],
  );
  const byLegacyId = new Map<string, AccountRow[]>();
  for (const account of accounts) {
    const linked = byLegacyId.get(account.legacy_id) ?? [];
    linked.push(account);
    byLegacyId.set(account.legacy_id, linked);
  }
  const renamed: string[] = [];
  const unaccounted: string[] = [];
  for (const row of rows) {
    const linked = byLegacyId.get(row.id);
    if (linked === undefined) {
      unaccounted.push(row.id);
      continue;
    }
    if (linked.length > 1) tally.add("legacy_row_with_several_accounts", row.id);
    const expected = row.username === null ? null : asciiLowerCase(row.username);
    const active = linked.filter((account) => account.status === "active");
    if (active.some((account) => account.username !== expected)) renamed.push(row.id);
  }
  if (renamed.length === 0) return unaccounted;
  const { rows: reported } = await identity.query<{ legacy_id: string }>(
    `select distinct legacy_id from identity.migration_report where legacy_id = any($1::text[])`,
    [renamed],
  );
  const explained = new Set(reported.map((row) => row.legacy_id));
  for (const id of renamed) {
    if (!explained.has(id)) tally.add("missing_report_row", id);
  }
  return unaccounted;
}
