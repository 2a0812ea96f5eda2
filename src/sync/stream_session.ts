/**
 * One streaming session: source transactions from the slot are applied in
 * batches (several transactions per target transaction, split only when one is
 * bigger than a batch), the checkpoint is stored in the same target
 * transaction, and the slot is acknowledged only after that commits.
 */
import { type Ahead, applyAhead, applyChanges, type ApplyStats } from "../apply/apply_changes.ts";
import { beginApplying } from "../apply/apply_lock.ts";
import { PARTITION_MIN_CHANGES } from "../apply/mirror_in_place.ts";
import type { Config } from "../config.ts";
import pg from "../db/pg.ts";
import { BRIEF_SESSION_MS, within } from "../db/sessions.ts";
import { protectedNames, type RandomSource } from "../policy/mod.ts";
import type {
  CommittedTransaction,
  HeartbeatMessage,
  LegacyChange,
  SourceTransaction,
} from "../replication/legacy_change.ts";
import { LegacyStream } from "../replication/legacy_stream.ts";
import { LegacyStreamError } from "../legacy/legacy_stream_error.ts";
import { checkPublishedTable } from "../legacy/published_table.ts";
import type { LegacyTable } from "../legacy/legacy_table.ts";
import { errorLine, logger } from "../logging/logging.ts";
import { HEARTBEAT_PREFIX } from "../replication/decode_pgoutput.ts";
import {
  holdCheckpoint,
  readCheckpoint,
  storeCheckpoint,
  type SyncCheckpoint,
} from "./checkpoint.ts";
import { ApplyPartitions } from "./apply_partitions.ts";
import { applySpooled } from "./apply_spooled.ts";
import { ChangeSpool } from "../apply/change_spool.ts";
import { claimSlot, markStreaming } from "./claim_slot.ts";

/** What a session needs. */
export interface StreamSessionOptions {
  config: Config;
  legacyUrl: string;
  identityUrl: string;
  table: LegacyTable;
  random: RandomSource;
  signal: AbortSignal;
  /**
   * Milliseconds without a message from the legacy server before the stream's connection is taken
   * for dead (`SYNC_RECEIVE_TIMEOUT_SECONDS` unless given).
   */
  receiveTimeoutMs?: number;
  /** Told of every committed batch. */
  onBatch?: (batch: AppliedBatch) => void;
  /** Told when the server starts streaming. */
  onStreaming?: () => void;
  /**
   * Told, once it is stored, that everything committed on the legacy database up to a heartbeat
   * is applied: the apply lag's clock on an idle table.
   */
  onCaughtUp?: (commitTime: Date) => void;
}

/** A committed batch, for logs and metrics. */
export interface AppliedBatch {
  changes: number;
  transactions: number;
  stats: ApplyStats;
  /** The checkpoint it stored. */
  checkpoint: SyncCheckpoint;
  milliseconds: number;
}

/** The source transaction being received. */
interface OpenTransaction extends SourceTransaction {
  /** Changes received so far, skipped ones included. */
  seen: number;
  /** Changes a crashed session already applied: a replay skips them. */
  applied: number;
  /** Changes handed to a batch so far (the replayed ones included): a split continues after them. */
  dispatched: number;
}

/** A batch cut from the stream, applied while the next one is read. */
interface PendingBatch {
  changes: LegacyChange[];
  /** The last source transaction it completes, if any. */
  committed?: CommittedTransaction;
  /** The transaction it splits, with how many of its changes are applied once it commits. */
  split?: { lsn: string; changes: number; continues: boolean };
  transactions: number;
  /** A heartbeat that came after its changes: caught up to it once the batch commits. */
  heartbeat?: Date;
}

const log = logger("sync");

/**
 * How long a stop waits for the batch in flight to commit; then its statements are cancelled, it
 * rolls back and comes again at the next start, so a stop ends within seconds whatever a batch costs.
 */
const STOP_GRACE_MS = 5_000;

/** How long the end of a session waits for the heartbeat in flight. */
const HEARTBEAT_GRACE_MS = 2_000;

/**
 * Streams from the stored checkpoint until `options.signal` aborts (then
 * commits what is complete, acknowledges it and returns) or the stream fails
 * (then throws; nothing unacknowledged is lost: it is streamed again).
 */
export async function runStreamSession(options: StreamSessionOptions): Promise<void> {
  const { config, signal } = options;
  const { slotName, publicationName } = config.replication;
  const identity = new pg.Client({ connectionString: options.identityUrl });
  identity.on("error", () => {});
  await identity.connect();
  const heartbeat = new pg.Client({
    connectionString: options.legacyUrl,
    connectionTimeoutMillis: BRIEF_SESSION_MS,
  });
  heartbeat.on("error", () => {});
  // Large transactions streamed while in progress are spooled on a connection of their own.
  const streamInProgress = config.sync.streamInProgress;
  const spoolClient = streamInProgress
    ? new pg.Client({ connectionString: options.identityUrl })
    : undefined;
  spoolClient?.on("error", () => {});
  let heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  /** The heartbeat in flight: the session ends after it, not by cutting its connection. */
  let beating: Promise<unknown> = Promise.resolve();
  let flushTimer: ReturnType<typeof setInterval> | undefined;
  let partitions: ApplyPartitions | undefined;
  let spool: ChangeSpool | undefined;
  try {
    // Shared among several, a large batch's in-place updates run on connections of their own.
    partitions = await ApplyPartitions.connect(
      options.identityUrl,
      config.sync.applyConnections > 1 ? config.sync.applyConnections : 0,
    );
    let checkpoint = await readCheckpoint(identity, slotName);
    const { rows: [{ pid: identityPid }] } = await identity.query("select pg_backend_pid() as pid");
    const spoolPids: number[] = [];
    if (spoolClient) {
      await spoolClient.connect();
      const { rows: [{ pid }] } = await spoolClient.query("select pg_backend_pid() as pid");
      spoolPids.push(pid);
      spool = new ChangeSpool(spoolClient, slotName);
    }
    const stream = new LegacyStream({
      url: options.legacyUrl,
      slotName,
      publicationName,
      startLsn: checkpoint.lastAppliedLsn,
      table: options.table,
      legacyColumns: config.legacyColumns,
      statusIntervalMs: config.sync.statusMs,
      receiveTimeoutMs: options.receiveTimeoutMs ?? config.sync.receiveTimeoutSeconds * 1_000,
      slotFailover: config.replication.slotFailover,
      streamInProgress,
      // A smaller memory than the server's default (64 MB) starts streaming a large transaction
      // sooner, so spooling and decoding overlap from early on (a transaction sent whole is
      // spilled past it, so only while streaming).
      sessionSettings: streamInProgress
        ? { logical_decoding_work_mem: config.sync.decodingWorkMem }
        : undefined,
    });
    const skeletons = protectedNames(config.protectedNames);
    const pending: LegacyChange[] = [];
    /** Where the changes of the open transaction start in `pending`. */
    let openFrom = 0;
    let open: OpenTransaction | undefined;
    let lastCommit: CommittedTransaction | undefined;
    let transactions = 0;
    let firstPendingAt = 0;
    let queue: Promise<unknown> = Promise.resolve();
    /** Runs `fn` after everything queued before it: the handler and the timer never overlap. */
    const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
      const next = queue.then(fn);
      queue = next.catch(() => {});
      return next;
    };
    /** The batch being applied; the next one is cut while it runs, and waits for it. */
    let applying: Promise<void> = Promise.resolve();
    /** The end LSN of the last transaction handed to a batch. */
    let dispatchedLsn = checkpoint.lastAppliedLsn;
    /** A heartbeat seen while changes were pending. */
    let heartbeatAfter: Date | undefined;
    let failure: { error: unknown } | undefined;
    /** Told to stop: batches that complete no source transaction are not started any more. */
    let halting = false;
    const fail = (error: unknown) => {
      failure ??= { error };
      stream.stop().catch(() => {});
    };

    /**
     * The window of the batch in flight: open from the end of its mirror to its commit, while it
     * holds the apply lock and has checked its checkpoint and writes its plan on its own
     * connection. The next batch may mirror ahead meanwhile, on the partitions, every account but
     * those the plan writes (see `mirrorAhead`).
     */
    let window: { planned: ReadonlySet<string>; checkpoint: SyncCheckpoint } | undefined;
    /** Settles when the batch in flight opens its window, or ends without one. */
    let windowOpened: Promise<void> = Promise.resolve();
    /** Whether a batch's mirror is shared among the partitions. */
    const isShared = (batch: PendingBatch) =>
      batch.changes.length >= PARTITION_MIN_CHANGES && partitions!.clients.length > 0;
    /**
     * A transaction split over batches: its later changes may touch rows its earlier ones did,
     * which already carry its LSN. `stored`: the checkpoint the batch starts from.
     */
    const continuingOf = (batch: PendingBatch, stored: SyncCheckpoint) =>
      batch.split?.continues ? batch.split.lsn : stored.partialLsn ?? undefined;

    /**
     * Applies a batch and stores the checkpoint in one target transaction, then acknowledges.
     * `opened`: called when its window opens, or once it ends. `ahead`: what `applyAhead` mirrored
     * of it.
     */
    const apply = async (batch: PendingBatch, opened: () => void, ahead?: Promise<Ahead>) => {
      const started = performance.now();
      const next: SyncCheckpoint = {
        lastAppliedLsn: batch.committed?.endLsn ?? checkpoint.lastAppliedLsn,
        lastCommitTime: batch.committed?.commitTime ?? checkpoint.lastCommitTime,
        partialLsn: batch.split?.lsn ?? null,
        partialChanges: batch.split?.changes ?? 0,
      };
      let stats: ApplyStats;
      try {
        // One applying transaction at a time, an empty batch's too: its checkpoint is checked
        // against the stored one under the same lock as every other daemon's.
        await beginApplying(identity);
        // A large batch's shares commit on the partitions before this transaction does: a
        // daemon that lost the slot must stop before they write, so the checkpoint is checked
        // first, under the apply lock every daemon stores its checkpoint under.
        const shared = isShared(batch);
        if (shared) await holdCheckpoint(identity, slotName, checkpoint);
        stats = await applyChanges(identity, batch.changes, {
          begun: true,
          random: options.random,
          protectedNames: skeletons,
          holdDays: config.sync.holdDays,
          continuing: continuingOf(batch, checkpoint),
          partitions: shared ? partitions!.clients : [],
          ahead: ahead && await ahead,
          onPlanned: shared
            ? (planned) => {
              window = { planned, checkpoint: next };
              opened();
            }
            : undefined,
        });
        window = undefined;
        await storeCheckpoint(identity, slotName, next, checkpoint);
        await identity.query("commit");
      } catch (error) {
        await identity.query("rollback").catch(() => {});
        throw error;
      } finally {
        window = undefined;
        opened();
      }
      if (next.lastAppliedLsn !== checkpoint.lastAppliedLsn) {
        await stream.acknowledge(next.lastAppliedLsn);
      }
      checkpoint = next;
      const applied = {
        changes: batch.changes.length,
        transactions: batch.transactions,
        stats,
        checkpoint: next,
        milliseconds: performance.now() - started,
      };
      options.onBatch?.(applied);
      log.debug("batch applied {changes} changes", { ...applied, stats: undefined, ...stats });
    };

    /**
     * Cuts what is pending into a batch (called with no transaction open, or with the open one
     * to split it) and starts applying it once the batch before it has committed.
     */
    const flush = async (within?: OpenTransaction) => {
      const changes = pending.splice(0);
      openFrom = 0;
      const committed = lastCommit?.endLsn === dispatchedLsn ? undefined : lastCommit;
      if (changes.length === 0 && !committed) return;
      const batch: PendingBatch = { changes, committed, transactions };
      if (within) {
        batch.split = {
          lsn: within.finalLsn,
          changes: within.seen,
          continues: within.dispatched > 0,
        };
        within.dispatched = within.seen;
      }
      if (committed) dispatchedLsn = committed.endLsn;
      batch.heartbeat = heartbeatAfter;
      heartbeatAfter = undefined;
      transactions = 0;
      firstPendingAt = 0;
      // While the batch in flight writes its plan, this one's shares may go ahead.
      await Promise.race([windowOpened, applying]);
      const open = window;
      const ahead = open && isShared(batch) && !halting
        ? applyAhead(batch.changes, {
          continuing: continuingOf(batch, open.checkpoint),
          partitions: partitions!.clients,
          leave: open.planned,
        })
        : undefined;
      // Awaited by the batch's apply; a failure before then is the session's failure anyway.
      ahead?.catch(() => {});
      // At most one batch applies while the next fills: memory stays bounded.
      await applying;
      // Stopping (a part of the open transaction waits for the next start, which replays it) or
      // failed: what went ahead is guarded, and ends before the connections close.
      if (failure || (halting && !committed)) {
        await ahead?.catch(() => {});
        if (failure) throw failure.error;
        return;
      }
      const opened = Promise.withResolvers<void>();
      windowOpened = opened.promise;
      applying = apply(batch, opened.resolve, ahead).catch(fail);
      if (batch.heartbeat) caughtUp(batch.heartbeat);
    };

    /** Applies the spooled transaction `tx` and acknowledges it (see `applySpooled`). */
    const applyTransaction = async (tx: CommittedTransaction) => {
      const started = performance.now();
      lastCommit = tx;
      dispatchedLsn = tx.endLsn;
      const applied = await applySpooled(spool!, tx, {
        identity,
        spoolClient: spoolClient!,
        partitions: partitions!.clients,
        slotName,
        checkpoint,
        chunk: config.sync.batchChanges,
        apply: {
          random: options.random,
          protectedNames: skeletons,
          holdDays: config.sync.holdDays,
        },
      });
      await stream.acknowledge(applied.checkpoint.lastAppliedLsn);
      checkpoint = applied.checkpoint;
      const batch = {
        changes: applied.changes,
        transactions: 1,
        stats: applied.stats,
        checkpoint,
        milliseconds: performance.now() - started,
      };
      options.onBatch?.(batch);
      log.debug("spooled transaction applied {changes} changes", {
        ...batch,
        stats: undefined,
        ...applied.stats,
      });
    };

    /**
     * Records, after whatever is applying, that everything committed up to `commitTime` is
     * applied: `last_commit_time` moves on an idle table too, and so does the lag built on it.
     */
    const caughtUp = (commitTime: Date) => {
      applying = applying.then(async () => {
        if (failure) return;
        await identity.query(
          `update identity.sync_state
           set last_commit_time = greatest(last_commit_time, $2), updated_at = now()
           where slot_name = $1`,
          [slotName, commitTime],
        );
        if (!checkpoint.lastCommitTime || checkpoint.lastCommitTime < commitTime) {
          checkpoint = { ...checkpoint, lastCommitTime: commitTime };
        }
        options.onCaughtUp?.(commitTime);
      }).catch(fail);
    };

    const handler = {
      begin: (tx: SourceTransaction) =>
        exclusive(() => {
          // A replay of a transaction a crashed session had partly applied skips those changes.
          const applied = checkpoint.partialLsn === tx.finalLsn ? checkpoint.partialChanges : 0;
          open = { ...tx, seen: 0, applied, dispatched: applied };
          openFrom = pending.length;
          return Promise.resolve();
        }),
      change: (change: LegacyChange) =>
        exclusive(async () => {
          const tx = open!;
          tx.seen++;
          if (tx.seen <= tx.applied) return;
          if (pending.length === 0) firstPendingAt = performance.now();
          pending.push(change);
          if (pending.length >= config.sync.batchChanges) await flush(tx);
        }),
      commit: (tx: CommittedTransaction) =>
        exclusive(async () => {
          lastCommit = tx;
          open = undefined;
          openFrom = pending.length;
          transactions++;
          if (pending.length >= config.sync.batchChanges) await flush();
        }),
      // Outside the queue: the stream hands over nothing else until it returns, and nothing else
      // writes the spool (a batch cut meanwhile by the timer touches none of it).
      spool: (xid: number, subXid: number, change: LegacyChange) => spool!.add(xid, subXid, change),
      // Whatever the block carried is written, not kept in memory until the next one.
      pauseSpool: () => exclusive(() => spool!.flush()),
      discard: (xid: number, subXid: number) => exclusive(() => spool!.discard(xid, subXid)),
      commitSpooled: (tx: CommittedTransaction) =>
        exclusive(async () => {
          // What committed before it is applied first, in its own batch.
          await flush();
          await applying;
          if (failure) throw failure.error;
          applying = applyTransaction(tx).catch(fail);
          // The next transactions wait: one applies at a time, and memory stays bounded.
          await applying;
        }),
      heartbeat: (message: HeartbeatMessage) =>
        exclusive(() => {
          if (!message.commitTime) return Promise.resolve();
          // Changes before it still pending: it counts once their batch commits.
          if (pending.length > 0) heartbeatAfter = message.commitTime;
          else caughtUp(message.commitTime);
          return Promise.resolve();
        }),
      started: () => {
        // Ours now: whatever a daemon that streamed before still holds open is ended before the
        // first batch, which would otherwise wait for it on the apply lock.
        applying = applying.then(async () => {
          const { ended, refused } = await claimSlot(identity, slotName);
          if (ended.length > 0) {
            log.info("took over slot {slot}: ended the identity sessions of the daemon before", {
              slot: slotName,
              pids: ended,
            });
          }
          if (refused.length > 0) {
            log.warning(
              "took over slot {slot} but may not end the identity sessions {pids} of the daemon before (another role): a batch it holds open blocks this one until it ends",
              { slot: slotName, pids: refused },
            );
          }
          await partitions!.mark(slotName);
          if (spoolClient) {
            // Ended, like the partitions, by the daemon that takes the slot over.
            await markStreaming(spoolClient, slotName);
            // What the slot's earlier sessions spooled and did not apply, it streams again.
            await spool!.purgeOthers();
          }
          await identity.query(
            `update identity.sync_state set phase = 'streaming', updated_at = now()
             where slot_name = $1 and phase <> 'streaming'`,
            [slotName],
          );
          if (!failure) options.onStreaming?.();
        }).catch(fail);
      },
    };

    // Time-based flush between transactions, so a quiet stream still commits promptly.
    flushTimer = setInterval(() => {
      if (open || !lastCommit || failure) return;
      const due = pending.length === 0 || performance.now() - firstPendingAt >= config.sync.batchMs;
      if (!due) return;
      exclusive(() => open ? Promise.resolve() : flush()).catch(fail);
    }, Math.max(10, Math.floor(config.sync.batchMs / 2)));

    await heartbeat.connect();
    // Each heartbeat also checks what the stream cannot show: the table replaced, the publication
    // narrowed, the replica identity changed. Any of these stops the daemon.
    const published = { publicationName, table: options.table, columns: config.legacyColumns };
    const beat = () =>
      beating = heartbeat.query("select pg_logical_emit_message(true, $1, now()::text)", [
        HEARTBEAT_PREFIX,
      ])
        .then(() => checkPublishedTable(heartbeat, published))
        .catch((error) => {
          if (error instanceof LegacyStreamError) fail(error);
          else log.warning("heartbeat failed: {error}", { error: errorLine(error) });
        });
    heartbeatTimer = setInterval(beat, config.sync.heartbeatSeconds * 1_000);

    /**
     * Told to stop, once no change is delivered any more: commits what is complete (an open
     * transaction comes again) and acknowledges it while the stream's connection is still open.
     */
    const drain = async () => {
      await applying;
      if (failure) return;
      await exclusive(async () => {
        pending.splice(openFrom);
        open = undefined;
        await flush();
      }).catch(fail);
      await applying;
    };
    let stopping: Promise<void> | undefined;
    let stopped = false;
    /** Past the grace: cancels what runs on the identity connection until the stop is done. */
    const cancelInFlight = async () => {
      log.warning("stopping: the batch in flight did not commit within {ms} ms; rolling it back", {
        ms: STOP_GRACE_MS,
      });
      const canceller = new pg.Client({ connectionString: options.identityUrl });
      canceller.on("error", () => {});
      try {
        await canceller.connect();
        // A cancel that lands between two statements does nothing: again until stopped.
        while (!stopped) {
          await canceller.query("select pg_cancel_backend(pid) from unnest($1::int[]) as pid", [
            [identityPid, ...partitions!.pids, ...spoolPids],
          ]);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      } finally {
        await canceller.end().catch(() => {});
      }
    };
    let cancelling: Promise<void> | undefined;
    const stop = () => {
      halting = true;
      const grace = setTimeout(() => {
        cancelling = cancelInFlight().catch((error) =>
          log.warning("cannot cancel the batch in flight: {error}", { error: String(error) })
        );
      }, STOP_GRACE_MS);
      stopping = stream.stop(drain).catch(fail).finally(() => {
        stopped = true;
        clearTimeout(grace);
      });
    };
    signal.addEventListener("abort", stop, { once: true });
    try {
      if (!signal.aborted) await stream.run(handler);
    } finally {
      signal.removeEventListener("abort", stop);
      // The drain, and a batch still applying, end before the connections close.
      await stopping;
      await applying;
      await cancelling;
    }
    if (failure) throw failure.error;
  } finally {
    clearInterval(heartbeatTimer);
    clearInterval(flushTimer);
    // A legacy server that stopped answering does not hold the end up for long.
    let grace: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      beating,
      new Promise((resolve) => grace = setTimeout(resolve, HEARTBEAT_GRACE_MS)),
    ]);
    clearTimeout(grace);
    // An applied transaction's spooled rows are deleted in the background: not cut off.
    await spool?.settled();
    await Promise.all([
      identity.end().catch(() => {}),
      // Cut, not waited on, when the legacy server has gone silent.
      within(heartbeat, HEARTBEAT_GRACE_MS, heartbeat.end()).catch(() => {}),
      spoolClient?.end().catch(() => {}),
      partitions?.end(),
    ]);
  }
}
