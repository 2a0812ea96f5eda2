/**
 * Applies unresolved dead letters again, oldest change first, through the same apply as the
 * stream. A change the account has moved past (its LSN is at or below the account's) is
 * resolved as superseded: a later change already carries the legacy row's values. Truncates are
 * never retried: they wait for an operator.
 */
import type pg from "../db/pg.ts";
import type { AccountChange } from "./account_change.ts";
import { type ApplyOptions, type ApplyStats, emptyStats } from "./apply_options.ts";
import { lockApply } from "./apply_lock.ts";
import { changeFromPayload } from "./dead_letter_payload.ts";
import { describeFailure, recordRetry } from "./dead_letters.ts";
import { applyIsolatingPoison } from "./isolate_poison.ts";
import { baselineOf, legacyIdsOf, readAccounts } from "./stored_account.ts";

/** Options of {@linkcode retryDeadLetters}. */
export interface RetryOptions extends ApplyOptions {
  /** Dead letters retried at most in one call, oldest first. */
  limit?: number;
}

/** What a retry did. */
export interface RetryResult {
  /** Dead letters tried. */
  retried: number;
  /** Applied now, or superseded by a later change: resolved. */
  resolved: number;
  /** Failed again: attempts and error updated, still unresolved. */
  failed: number;
  /** Unresolved truncates, which are never retried. */
  notRetryable: number;
  /** The retried changes by outcome (superseded ones count as skipped). */
  stats: ApplyStats;
}

/** Retries unresolved dead letters inside the open transaction on `client`. */
export async function retryDeadLetters(
  client: pg.ClientBase,
  options: RetryOptions,
): Promise<RetryResult> {
  await lockApply(client);
  const { rows } = await client.query<{ id: string; payload: unknown }>(
    `select dead_letter_id::text as id, payload from identity.dead_letters
     where resolved_at is null and operation <> 'truncate'
     order by lsn nulls last, dead_letter_id
     limit $1`,
    [options.limit ?? 10_000],
  );
  const { rows: [truncates] } = await client.query<{ n: number }>(
    `select count(*)::int as n from identity.dead_letters
     where resolved_at is null and operation = 'truncate'`,
  );
  const failed: { id: string; error: string }[] = [];
  const letters: { id: string; change: AccountChange }[] = [];
  for (const row of rows) {
    try {
      const change = changeFromPayload(row.payload);
      if (change.kind === "truncate") throw new TypeError("Cannot retry a truncate");
      letters.push({ id: row.id, change });
    } catch (error) {
      failed.push({ id: row.id, error: (error as Error).message });
    }
  }
  const changes = letters.map((letter) => letter.change);
  const accounts = await readAccounts(client, legacyIdsOf(changes));
  const results = await applyIsolatingPoison(
    client,
    changes,
    { baseline: baselineOf(accounts), options },
    accounts,
  );
  const stats = emptyStats();
  const resolved: string[] = [];
  results.forEach((result, i) => {
    const { id, change } = letters[i]!;
    if ("outcome" in result) {
      stats[result.outcome]++;
      resolved.push(id);
    } else {
      stats.deadLettered++;
      failed.push({ id, error: describeFailure(change, result.error) });
    }
  });
  await recordRetry(client, { resolved, failed });
  return {
    retried: rows.length,
    resolved: resolved.length,
    failed: failed.length,
    notRetryable: truncates!.n,
    stats,
  };
}
