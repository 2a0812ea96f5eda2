/**
 * One writer of legacy changes at a time: the daemon's batches and a retry of dead letters take
 * the same transaction-scoped advisory lock, so neither decides on rows the other is changing.
 */
import type pg from "../db/pg.ts";

/** The key of the advisory lock every applying transaction takes. */
export const APPLY_LOCK_KEY = 4_711_002_002;

/**
 * Takes the apply lock until the open transaction on `client` ends, and plans its statements as
 * the keyed look-ups they are: a batch's few thousand keys are joined to the accounts by index,
 * never by a merge or hash join that reads the whole table (which the planner picks once a batch
 * is large, and which costs more with every account).
 */
export async function lockApply(client: pg.ClientBase): Promise<void> {
  await client.query(
    `select pg_advisory_xact_lock($1), set_config('enable_mergejoin', 'off', true),
            set_config('enable_hashjoin', 'off', true)`,
    [APPLY_LOCK_KEY],
  );
}
