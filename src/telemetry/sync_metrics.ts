/**
 * The daemon as metrics: what it applied (fed from each committed batch), where the slot stands
 * and how many accounts there are (fed by the status poller), read by the instruments at each
 * collection. It wraps the pipeline: nothing in the apply path knows about it.
 */
import type { Meter } from "@opentelemetry/api";
import type { ApplyStats } from "../apply/apply_options.ts";
import type { SnapshotProgress } from "../snapshot/progress.ts";
import type { SlotStatus } from "../status/slot_status.ts";
import { type DaemonState, judgeReadiness, type Readiness } from "../sync/readiness.ts";
import type { AppliedBatch } from "../sync/stream_session.ts";
import { METRIC_NAMES, WAL_STATUSES } from "./metric_names.ts";
import { observeSnapshot } from "./snapshot_metrics.ts";

/** The `op` label of each apply outcome. */
const OPS: Record<keyof ApplyStats, string> = {
  inserted: "insert",
  reactivated: "reactivate",
  rekeyed: "rekey",
  renamed: "rename",
  renameRefused: "rename_refused",
  mirrored: "update",
  deleted: "delete",
  skipped: "skip",
  truncates: "truncate",
  deadLettered: "dead_letter",
};

/** Bucket bounds of the batch duration histogram, in seconds. */
const BATCH_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The daemon's observable state, and the instruments that report it. */
export class SyncMetrics {
  /** What the daemon is doing. */
  state: DaemonState = "starting";
  /** When the last applied legacy transaction committed. */
  lastCommitTime: Date | null = null;
  /** The slot as last polled; null when it does not exist, undefined before the first poll. */
  slot: SlotStatus | null | undefined;
  /** Accounts by username source, as last polled. */
  accounts = new Map<string, number>();
  /** The snapshot the daemon runs, while it runs one. */
  snapshot: SnapshotProgress | undefined;
  readonly #now: () => number;
  readonly #events;
  readonly #batchSeconds;
  readonly #deadLetters;

  constructor(meter: Meter, options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#events = meter.createCounter(METRIC_NAMES.eventsApplied, {
      description: "legacy changes applied, by outcome",
    });
    this.#batchSeconds = meter.createHistogram(METRIC_NAMES.batchDuration, {
      description: "seconds to apply and commit one batch",
      unit: "s",
      advice: { explicitBucketBoundaries: BATCH_SECONDS_BUCKETS },
    });
    this.#deadLetters = meter.createCounter(METRIC_NAMES.deadLetters, {
      description: "changes recorded in identity.dead_letters (truncates included)",
    });
    // Zero from the start, so that rate() and increase() see the first one.
    this.#deadLetters.add(0);
    meter.createObservableGauge(METRIC_NAMES.applyLagSeconds, {
      description: "now minus the commit time of the last applied legacy transaction",
      unit: "s",
    }).addCallback((result) => {
      const lag = this.applyLagSeconds();
      if (lag !== null) result.observe(lag);
    });
    meter.createObservableGauge(METRIC_NAMES.replicationLagBytes, {
      description: "current WAL position minus the slot's confirmed position",
      unit: "By",
    }).addCallback((result) => {
      if (typeof this.slot?.lagBytes === "number") result.observe(this.slot.lagBytes);
    });
    meter.createObservableGauge(METRIC_NAMES.slotSafeWalBytes, {
      description: "WAL that may still be written before the slot is lost (absent: no limit)",
      unit: "By",
    }).addCallback((result) => {
      if (typeof this.slot?.safeWalBytes === "number") result.observe(this.slot.safeWalBytes);
    });
    meter.createObservableGauge(METRIC_NAMES.slotWalStatus, {
      description: "1 for the slot's current wal_status, 0 for the others",
    }).addCallback((result) => {
      if (this.slot === undefined) return;
      // A missing slot reports every status 0: the stream cannot run at all.
      for (const status of WAL_STATUSES) {
        result.observe(this.slot?.walStatus === status ? 1 : 0, { status });
      }
    });
    meter.createObservableGauge(METRIC_NAMES.slotFailoverReady, {
      description:
        "1 when a failover of the legacy primary now would keep the slot (failover slot, standbys waited for and streaming), 0 when not; absent before PostgreSQL 17 or with SLOT_FAILOVER off",
    }).addCallback((result) => {
      const failover = this.slot?.failover;
      if (failover) result.observe(failover.ready ? 1 : 0);
    });
    meter.createObservableGauge(METRIC_NAMES.up, {
      description:
        "1 while the daemon snapshots, streams or stands by, 0 while it reconnects or has stopped",
    }).addCallback((result) => {
      const up = this.state === "streaming" || this.state === "snapshotting" ||
        this.state === "standby";
      result.observe(up ? 1 : 0);
    });
    meter.createObservableGauge(METRIC_NAMES.standby, {
      description: "1 while the daemon stands by (another daemon streams the slot), 0 otherwise",
    }).addCallback((result) => result.observe(this.state === "standby" ? 1 : 0));
    meter.createObservableGauge(METRIC_NAMES.accounts, {
      description: "accounts in identity.accounts, by username source",
    }).addCallback((result) => {
      for (const [source, count] of this.accounts) {
        result.observe(count, { username_source: source });
      }
    });
    observeSnapshot(meter, () => this.snapshot);
  }

  /** Counts a committed batch. */
  batchApplied(batch: AppliedBatch): void {
    for (const [outcome, count] of Object.entries(batch.stats)) {
      if (count > 0) this.#events.add(count, { op: OPS[outcome as keyof ApplyStats] });
    }
    this.#batchSeconds.record(batch.milliseconds / 1_000);
    const deadLetters = batch.stats.deadLettered + batch.stats.truncates;
    if (deadLetters > 0) this.#deadLetters.add(deadLetters);
    if (batch.checkpoint.lastCommitTime) this.caughtUp(batch.checkpoint.lastCommitTime);
  }

  /** Notes that everything the legacy database committed up to `commitTime` is applied. */
  caughtUp(commitTime: Date): void {
    if (this.lastCommitTime === null || commitTime > this.lastCommitTime) {
      this.lastCommitTime = commitTime;
    }
  }

  /** Seconds since the last applied legacy transaction committed; null before any. */
  applyLagSeconds(): number | null {
    if (this.lastCommitTime === null) return null;
    return Math.max(0, (this.#now() - this.lastCommitTime.getTime()) / 1_000);
  }

  /** The answer of `/readyz`. */
  readiness(maxLagSeconds: number): Readiness {
    return judgeReadiness({
      state: this.state,
      applyLagSeconds: this.applyLagSeconds(),
      maxLagSeconds,
    });
  }
}
