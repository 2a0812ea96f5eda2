/**
 * One writer of legacy changes at a time: the daemon's batches and a retry of dead letters take
 * the same transaction-scoped advisory lock, so neither decides on rows the other is changing.
 */
import type pg from "../db/pg.ts";
import { BY_KEY_SETTINGS } from "./look_up_by_key.ts";

/** The key of the advisory lock every applying transaction takes. */
export const APPLY_LOCK_KEY = 4_711_002_002;

/**
 * Takes the apply lock until the open transaction on `client` ends. (How the apply's statements
 * are planned is `applyChanges`' business: see `BY_KEY_SETTINGS`.)
 */
export async function lockApply(client: pg.ClientBase): Promise<void> {
  await client.query("select pg_advisory_xact_lock($1)", [APPLY_LOCK_KEY]);
}

/**
 * The apply lock and the planner settings of `BY_KEY_SETTINGS`, in one statement without
 * parameters, so in the simple protocol: a statement with parameters leaves its portal open until
 * the next one, and the portal its snapshot, whose horizon then keeps every row version the shares
 * replace from being pruned while they run (see `SHARED_ROUNDS`).
 */
const LOCK_BY_KEY = `select pg_advisory_xact_lock(${APPLY_LOCK_KEY}), ${BY_KEY_SETTINGS}`;

/**
 * Opens a transaction on `client` that takes {@linkcode LOCK_BY_KEY}, in one round trip:
 * `applyChanges` with `begun` then takes neither again.
 */
export async function beginApplying(client: pg.ClientBase): Promise<void> {
  await client.query(`begin; ${LOCK_BY_KEY}`);
}

/** Takes {@linkcode LOCK_BY_KEY} inside the open transaction on `client`, in one round trip. */
export async function lockApplyByKey(client: pg.ClientBase): Promise<void> {
  await client.query(LOCK_BY_KEY);
}
