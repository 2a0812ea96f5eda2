/**
 * One streaming session: source transactions from the slot are applied in
 * batches (several transactions per target transaction, split only when one is
 * bigger than a batch), the checkpoint is stored in the same target
 * transaction, and the slot is acknowledged only after that commits.
 */
import { applyChanges, type ApplyStats } from "../apply/apply_changes.ts";
import type { Config } from "../config.ts";
import pg from "../db/pg.ts";
import { protectedSkeletons, type RandomSource } from "../policy/mod.ts";
import type {
  CommittedTransaction,
  HeartbeatMessage,
  LegacyChange,
  SourceTransaction,
} from "../replication/legacy_change.ts";
import { LegacyStream } from "../replication/legacy_stream.ts";
import type { LegacyTable } from "../snapshot/legacy_table.ts";
import { logger } from "../telemetry/logging.ts";
import { HEARTBEAT_PREFIX } from "../replication/decode_pgoutput.ts";
import { readCheckpoint, storeCheckpoint, type SyncCheckpoint } from "./checkpoint.ts";

/** What a session needs. */
export interface StreamSessionOptions {
  config: Config;
  legacyUrl: string;
  identityUrl: string;
  table: LegacyTable;
  random: RandomSource;
  signal: AbortSignal;
  /** Told of every committed batch. */
  onBatch?: (batch: AppliedBatch) => void;
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
  /** Changes already applied by an earlier batch (a replay skips them, a split continues). */
  applied: number;
}

const log = logger("sync");

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
  const heartbeat = new pg.Client({ connectionString: options.legacyUrl });
  heartbeat.on("error", () => {});
  let heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  let flushTimer: ReturnType<typeof setInterval> | undefined;
  try {
    let checkpoint = await readCheckpoint(identity, slotName);
    await identity.query(
      "update identity.sync_state set phase = 'streaming', updated_at = now() where slot_name = $1",
      [slotName],
    );
    const stream = new LegacyStream({
      url: options.legacyUrl,
      slotName,
      publicationName,
      startLsn: checkpoint.lastAppliedLsn,
      table: options.table,
      legacyColumns: config.legacyColumns,
    });
    const skeletons = protectedSkeletons(config.protectedNames);
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

    /** Applies what is pending and stores the checkpoint; acknowledges whole transactions. */
    const flush = async (within?: OpenTransaction) => {
      // Called with no transaction open (or with the open one, to split it): all of it goes.
      const changes = pending.splice(0);
      openFrom = 0;
      const committed = lastCommit;
      if (changes.length === 0 && (!committed || committed.endLsn === checkpoint.lastAppliedLsn)) {
        return;
      }
      const started = performance.now();
      const next: SyncCheckpoint = {
        lastAppliedLsn: committed?.endLsn ?? checkpoint.lastAppliedLsn,
        lastCommitTime: committed?.commitTime ?? checkpoint.lastCommitTime,
        partialLsn: within ? within.finalLsn : null,
        partialChanges: within ? within.seen : 0,
      };
      await identity.query("begin");
      let stats: ApplyStats;
      try {
        stats = await applyChanges(identity, changes, {
          random: options.random,
          protectedSkeletons: skeletons,
          holdDays: config.sync.holdDays,
          // A transaction split over batches: its later changes may touch rows its
          // earlier ones did, which already carry its LSN.
          continuing: continuingLsn(checkpoint, within),
        });
        await storeCheckpoint(identity, slotName, next);
        await identity.query("commit");
      } catch (error) {
        await identity.query("rollback").catch(() => {});
        throw error;
      }
      if (next.lastAppliedLsn !== checkpoint.lastAppliedLsn) {
        await stream.acknowledge(next.lastAppliedLsn);
      }
      checkpoint = next;
      if (within) within.applied = within.seen;
      const batch = {
        changes: changes.length,
        transactions,
        stats,
        checkpoint: next,
        milliseconds: performance.now() - started,
      };
      transactions = 0;
      firstPendingAt = 0;
      options.onBatch?.(batch);
      log.debug("batch applied {changes} changes", { ...batch, stats: undefined, ...stats });
    };

    const handler = {
      begin: (tx: SourceTransaction) =>
        exclusive(() => {
          // A replay of a transaction a crashed session had partly applied skips those changes.
          const applied = checkpoint.partialLsn === tx.finalLsn ? checkpoint.partialChanges : 0;
          open = { ...tx, seen: 0, applied };
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
      heartbeat: (_message: HeartbeatMessage) => Promise.resolve(),
    };

    // Time-based flush between transactions, so a quiet stream still commits promptly.
    let timerFailure: { error: unknown } | undefined;
    flushTimer = setInterval(() => {
      if (open || !lastCommit || timerFailure) return;
      const due = pending.length === 0 || performance.now() - firstPendingAt >= config.sync.batchMs;
      if (!due) return;
      exclusive(() => open ? Promise.resolve() : flush()).catch((error) => {
        timerFailure = { error };
        stream.stop().catch(() => {});
      });
    }, Math.max(10, Math.floor(config.sync.batchMs / 2)));

    await heartbeat.connect();
    const beat = () =>
      heartbeat.query("select pg_logical_emit_message(true, $1, now()::text)", [HEARTBEAT_PREFIX])
        .catch((error) => log.warning("heartbeat failed: {error}", { error: String(error) }));
    heartbeatTimer = setInterval(beat, config.sync.heartbeatSeconds * 1_000);

    const stop = () => {
      stream.stop().catch(() => {});
    };
    signal.addEventListener("abort", stop, { once: true });
    try {
      if (!signal.aborted) await stream.run(handler);
    } finally {
      signal.removeEventListener("abort", stop);
    }
    if (timerFailure) throw timerFailure.error;
    // Stopped: commit and acknowledge what is complete; an open transaction comes again.
    await exclusive(async () => {
      pending.splice(openFrom);
      open = undefined;
      await flush();
    });
  } finally {
    clearInterval(heartbeatTimer);
    clearInterval(flushTimer);
    await Promise.all([identity.end().catch(() => {}), heartbeat.end().catch(() => {})]);
  }
}

/** The commit LSN of a transaction whose earlier changes a batch already applied, if any. */
function continuingLsn(checkpoint: SyncCheckpoint, within?: OpenTransaction): string | undefined {
  if (within && within.applied > 0) return within.finalLsn;
  return checkpoint.partialLsn ?? undefined;
}
