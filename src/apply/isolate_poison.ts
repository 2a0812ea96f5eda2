/**
 * Keeps one bad change from holding up a batch. A slice is applied set-based inside a savepoint;
 * when it fails on its data, it is rolled back, split in two and each half applied in order,
 * down to the single change that fails: p poison changes cost O(p log n) attempts, and a batch
 * without any costs one. Failures that say nothing about the data (a lost connection, a
 * serialization failure, a statement timeout) are thrown: the whole batch is retried.
 */
import type pg from "../db/pg.ts";
import type { AccountChange } from "./account_change.ts";
import type { ChangeOutcome } from "./apply_options.ts";
import { applySlice, type SliceContext } from "./apply_slice.ts";
import type { StoredAccount } from "./stored_account.ts";

/** Attempts at a slice that hit a unique violation (a name taken concurrently) before it is split. */
const UNIQUE_VIOLATION_ATTEMPTS = 2;

/** What became of one change: its outcome, or the error that made it a dead letter. */
export type ChangeResult = { outcome: ChangeOutcome } | { error: unknown };

/**
 * Applies `changes` in order, each exactly as `applySlice` would, isolating the ones that fail.
 * `accounts`: the accounts of all `changes`, when already read.
 */
export async function applyIsolatingPoison(
  client: pg.ClientBase,
  changes: readonly AccountChange[],
  context: SliceContext,
  accounts?: ReadonlyMap<string, StoredAccount>,
): Promise<ChangeResult[]> {
  if (changes.length === 0) return [];
  for (let attempt = 1;; attempt++) {
    await client.query("savepoint apply_slice");
    try {
      const outcomes = await applySlice(
        client,
        changes,
        context,
        attempt === 1 ? accounts : undefined,
      );
      await client.query("release savepoint apply_slice");
      return outcomes.map((outcome) => ({ outcome }));
    } catch (error) {
      if (!isDataError(error)) throw error;
      await client.query("rollback to savepoint apply_slice");
      await client.query("release savepoint apply_slice");
      if (sqlState(error) === "23505" && attempt < UNIQUE_VIOLATION_ATTEMPTS) continue;
      if (changes.length === 1) return [{ error }];
      const middle = Math.ceil(changes.length / 2);
      const first = await applyIsolatingPoison(client, changes.slice(0, middle), context);
      const second = await applyIsolatingPoison(client, changes.slice(middle), context);
      return [...first, ...second];
    }
  }
}

/** The SQLSTATE of a database error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Whether `error` comes from the change itself: a data exception (22), an integrity violation
 * (23), a program limit such as an oversized index row (54), a trigger's exception (P0001), or
 * an error of the apply's own code (no SQLSTATE) such as an LSN that does not parse.
 */
export function isDataError(error: unknown): boolean {
  const code = sqlState(error);
  if (code === undefined) return error instanceof Error && !isConnectionError(error);
  return /^(22|23|54)/.test(code) || code === "P0001";
}

function isConnectionError(error: Error): boolean {
  return /connection|terminat|ECONN|EPIPE|socket/i.test(error.message);
}
