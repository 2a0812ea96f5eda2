/**
 * One writer of legacy changes at a time: the daemon's batches and a retry of dead letters take
 * the same transaction-scoped advisory lock, so neither decides on rows the other is changing.
 */
import type pg from "../db/pg.ts";

/** The key of the advisory lock every applying transaction takes. */
export const APPLY_LOCK_KEY = 4_711_002_002;

/**
 * Takes the apply lock until the open transaction on `client` ends. (How the apply's statements
 * are planned is `applyChanges`' business: see `lookUpByKey`.)
 */
export async function lockApply(client: pg.ClientBase): Promise<void> {
  await client.query("select pg_advisory_xact_lock($1)", [APPLY_LOCK_KEY]);
}
