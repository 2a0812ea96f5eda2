/**
 * Applies a large legacy transaction the server streamed while in progress, once its commit has
 * arrived: the changes the in-place mirror tries are mirrored by joins from the spool, in rounds
 * on the partitions, each share committed at once (guarded by the transaction's commit LSN, so a
 * share that outlives a failed attempt is simply found applied next time); every other change
 * (inserts, renames, deletes, a legacy id changed twice, what the mirror left) goes through the
 * full plan in chunks, all of them in one target transaction with the checkpoint. Nothing of the
 * plan's part is committed before the checkpoint, so an attempt that fails leaves no count of
 * applied changes to resume from: the next one decides again from what the accounts hold.
 */
import { applyChanges, type ApplyOptions, type ApplyStats } from "../apply/apply_changes.ts";
import { emptyStats } from "../apply/apply_options.ts";
import { beginApplying } from "../apply/apply_lock.ts";
import { type ChangeSpool, countSpooled, readSpooled } from "../apply/change_spool.ts";
import { markRepeated, mirrorSpooled } from "../apply/mirror_spooled.ts";
import type pg from "../db/pg.ts";
import type { CommittedTransaction } from "../replication/legacy_change.ts";
import { holdCheckpoint, storeCheckpoint, type SyncCheckpoint } from "./checkpoint.ts";

/** Where and how {@linkcode applySpooled} applies. */
export interface SpooledApplyOptions {
  /** The session's connection for its target transactions. */
  identity: pg.ClientBase;
  /** The spool's own connection, which reads the changes back. */
  spoolClient: pg.ClientBase;
  /** Connections outside any transaction for the mirror's shares; none: all goes through the plan. */
  partitions: readonly pg.ClientBase[];
  slotName: string;
  /** The checkpoint stored last. */
  checkpoint: SyncCheckpoint;
  /** Changes the plan takes at a time. */
  chunk: number;
  apply: Pick<ApplyOptions, "random" | "protectedNames" | "holdDays">;
}

/** What {@linkcode applySpooled} did. */
export interface SpooledApplied {
  /** The checkpoint it stored: past the transaction. */
  checkpoint: SyncCheckpoint;
  stats: ApplyStats;
  /** Changes spooled for it, rolled-back ones left out. */
  changes: number;
}

/** Applies the spooled transaction `tx` and stores the checkpoint past it, committed. */
export async function applySpooled(
  spool: ChangeSpool,
  tx: CommittedTransaction,
  options: SpooledApplyOptions,
): Promise<SpooledApplied> {
  const { identity, spoolClient, partitions, slotName, checkpoint } = options;
  await spool.flush();
  const next: SyncCheckpoint = {
    lastAppliedLsn: tx.endLsn,
    lastCommitTime: tx.commitTime,
    partialLsn: null,
    partialChanges: 0,
  };
  // A session that got the same transaction unstreamed (it fitted in the server's memory then)
  // applied its first changes in batches of their own: those are passed over, in order, and the
  // rest goes through the plan, as that session would have gone on.
  const skip = checkpoint.partialLsn === tx.finalLsn ? checkpoint.partialChanges : 0;
  const stats = emptyStats();
  const spooled = spool.transaction(tx.xid, tx.finalLsn);
  let changes = 0;
  await beginApplying(identity);
  try {
    let left: number[] | null = null;
    let mirrored: { tried: number } | undefined;
    if (skip === 0 && partitions.length > 0) {
      // The shares commit before this transaction: a daemon that lost the slot stops here first.
      await holdCheckpoint(identity, slotName, checkpoint);
      await markRepeated(spoolClient, spooled);
      ({ left, ...mirrored } = await mirrorSpooled(partitions, spooled));
    }
    const counted = await countSpooled(spoolClient, spooled);
    changes = counted.changes;
    // Every change the mirror tries lies on the pages its shares went over, each in one share: if
    // not (the spool's rows moved meanwhile), the plan takes them all.
    if (mirrored && mirrored.tried !== counted.tried) left = null;
    let planned = 0;
    for await (
      const chunk of readSpooled(spoolClient, { ...spooled, skip, left, chunk: options.chunk })
    ) {
      planned += chunk.length;
      addStats(
        stats,
        await applyChanges(identity, chunk, {
          ...options.apply,
          begun: true,
          // Later chunks may change accounts earlier ones did, at the same LSN.
          continuing: tx.finalLsn,
        }),
      );
    }
    stats.mirrored += changes - skip - planned;
    await storeCheckpoint(identity, slotName, next, checkpoint);
    await identity.query("commit");
  } catch (error) {
    await identity.query("rollback").catch(() => {});
    throw error;
  }
  spool.drop(tx.xid);
  return { checkpoint: next, stats, changes };
}

/** Adds `more` to `stats`. */
function addStats(stats: ApplyStats, more: ApplyStats): void {
  for (const key of Object.keys(stats) as (keyof ApplyStats)[]) stats[key] += more[key];
}
