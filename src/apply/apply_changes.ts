/**
 * The stream's writer: applies a batch of legacy changes (several source transactions, in commit
 * order) inside the caller's open transaction, idempotently. Each account keeps the commit LSN of
 * the last change applied to it; a change applies only if its LSN is greater than the account's
 * LSN as it was before the call, so a replayed batch changes nothing while several changes of one
 * transaction to one account all apply. Updates that only mirror columns are applied in place
 * first ({@linkcode mirrorInPlace}); everything else is read, planned and written by the policy.
 */
import type pg from "../db/pg.ts";
import type { AccountChange } from "./account_change.ts";
import { type ApplyOptions, type ApplyStats, emptyStats } from "./apply_options.ts";
import { lockApplyByKey } from "./apply_lock.ts";
import { describeFailure, type FailedChange, recordDeadLetters } from "./dead_letters.ts";
import { applyIsolatingPoison } from "./isolate_poison.ts";
import { type Ahead, mirrorAhead, mirrorInPlace } from "./mirror_in_place.ts";
import type { LegacyChange } from "./legacy_change.ts";
import { baselineOf, legacyIdsOf, readAccounts } from "./stored_account.ts";

export type { ApplyOptions, ApplyStats, ChangeOutcome } from "./apply_options.ts";
export type { Ahead } from "./mirror_in_place.ts";
export type { LegacyChange, TruncateChange } from "./legacy_change.ts";

/** Why a truncate is a dead letter rather than a change. */
export const TRUNCATE_REFUSED =
  "a truncate of the legacy table never deletes accounts: check the legacy side, then resolve this dead letter by hand";

/**
 * Applies `changes` (several source transactions, in commit order) inside the open transaction
 * on `client`. A change that fails becomes a dead letter and the rest still apply; a truncate
 * only ever becomes a dead letter. Throws only on failures that are not a change's fault (the
 * connection, a serialization failure): then roll back and apply the batch again.
 */
export async function applyChanges(
  client: pg.ClientBase,
  changes: readonly LegacyChange[],
  options: ApplyOptions,
): Promise<ApplyStats> {
  const stats = emptyStats();
  if (changes.length === 0) return stats;
  if (!options.begun) await lockApplyByKey(client);
  const accountChanges = accountChangesOf(changes);
  const mirrored = await mirrorInPlace(client, accountChanges, options);
  const planned = accountChanges.filter((_, index) => !mirrored.has(index));
  const plannedIds = legacyIdsOf(planned);
  options.onPlanned?.(new Set(plannedIds));
  const accounts = await readAccounts(client, plannedIds);
  const results = await applyIsolatingPoison(
    client,
    planned,
    { baseline: baselineOf(accounts), options },
    accounts,
  );
  const failed: FailedChange[] = [];
  let index = 0;
  let next = 0;
  for (const change of changes) {
    if (change.kind === "truncate") {
      stats.truncates++;
      failed.push({ change, error: `Cannot apply truncate at ${change.lsn}: ${TRUNCATE_REFUSED}` });
      continue;
    }
    if (mirrored.has(index++)) {
      stats.mirrored++;
      continue;
    }
    const result = results[next++]!;
    if ("outcome" in result) {
      stats[result.outcome]++;
    } else {
      stats.deadLettered++;
      failed.push({ change, error: describeFailure(change, result.error) });
    }
  }
  await recordDeadLetters(client, failed);
  return stats;
}

/**
 * Mirrors the shares of `changes` before their batch's transaction begins (see `mirrorAhead`),
 * leaving alone the accounts in `leave`; pass what it returns to that batch's `applyChanges` as
 * `ahead`.
 */
export function applyAhead(
  changes: readonly LegacyChange[],
  options: {
    continuing?: string;
    partitions: readonly pg.ClientBase[];
    leave: ReadonlySet<string>;
  },
): Promise<Ahead> {
  return mirrorAhead(accountChangesOf(changes), options);
}

function accountChangesOf(changes: readonly LegacyChange[]): AccountChange[] {
  return changes.filter((change): change is AccountChange => change.kind !== "truncate");
}
