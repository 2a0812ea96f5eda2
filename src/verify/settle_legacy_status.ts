/**
 * Re-checks legacy ids whose accounts disagreed with the legacy table when `verify` first read
 * them, so that a change the stream has not applied yet is not counted as a breach. A round reads
 * the accounts, then the legacy rows and the legacy WAL position, waits until the stream has
 * applied everything up to that position, then reads both again. An id that changed on neither
 * side meanwhile is decided; one that changed goes to the next round.
 *
 * Why that suffices: once the stream has applied everything the legacy read saw, an account still
 * as it was before the read disagrees with a legacy row that did not change either only if no
 * apply will ever make them agree (a hand edit, a lost or failed change). The second legacy read
 * catches a legacy commit applied before the round began that the first read did not see yet.
 *
 * @module
 */

import type pg from "../db/pg.ts";
import { legacyIdsPresent } from "./legacy_ids_present.ts";
import { type LegacyStatusBreach, legacyStatusBreach } from "./legacy_status_breach.ts";
import type { LegacyTableSql } from "./legacy_table.ts";
import { legacyWalPosition, type StreamWatch } from "./wait_for_stream.ts";

/** The two connections a re-check reads; never the same query, never a join across them. */
export interface SettleClients {
  identity: pg.Client;
  legacy: pg.Client;
}

/** Options of {@linkcode settleLegacyStatus}. */
export interface SettleOptions {
  table: LegacyTableSql;
  stream: StreamWatch;
  /** Rounds before an id that keeps changing is decided as last read. */
  rounds?: number;
}

/** Rounds of a re-check unless told otherwise. */
export const DEFAULT_SETTLE_ROUNDS = 5;

/** Each id's accounts as `status@source_lsn`, in account order: what a change would alter. */
async function accountStates(identity: pg.Client, ids: readonly string[]) {
  const { rows } = await identity.query<{ legacy_id: string; states: string[] }>(
    `select legacy_id,
            array_agg(status || '@' || coalesce(source_lsn::text, '') order by account_id) as states
     from identity.accounts where legacy_id = any($1::text[]) group by legacy_id`,
    [ids],
  );
  return new Map(rows.map((row) => [row.legacy_id, row.states.join(",")]));
}

function statusesOf(states: string | undefined): string[] {
  return states === undefined ? [] : states.split(",").map((state) => state.split("@")[0]!);
}

/** The breach of each of `ids` that is still there once the stream has caught up. */
export async function settleLegacyStatus(
  clients: SettleClients,
  ids: readonly string[],
  options: SettleOptions,
): Promise<Map<string, LegacyStatusBreach>> {
  const rounds = options.rounds ?? DEFAULT_SETTLE_ROUNDS;
  const breaches = new Map<string, LegacyStatusBreach>();
  let open = [...new Set(ids)];
  for (let round = 1; open.length > 0; round++) {
    const before = await accountStates(clients.identity, open);
    const present = await legacyIdsPresent(clients.legacy, options.table, open);
    const position = await legacyWalPosition(clients.legacy);
    await options.stream.until(clients.legacy, position);
    const after = await accountStates(clients.identity, open);
    const presentAfter = await legacyIdsPresent(clients.legacy, options.table, open);
    const changing: string[] = [];
    for (const id of open) {
      const steady = before.get(id) === after.get(id) && present.has(id) === presentAfter.has(id);
      if (!steady && round < rounds) {
        changing.push(id);
        continue;
      }
      const breach = legacyStatusBreach(statusesOf(after.get(id)), presentAfter.has(id));
      if (breach !== null) breaches.set(id, breach);
    }
    open = changing;
  }
  return breaches;
}
