/**
 * Stage one of the snapshot: workers claim ranges, read them under the run's
 * snapshot, judge every row by the policy and stage the decisions. A range's
 * claim, its staged rows and its "done" mark commit together.
 */
import { decideName } from "../apply/name_decision.ts";
import { stageDecisions } from "../apply/stage_decisions.ts";
import pg from "../db/pg.ts";
import type { RandomSource } from "../policy/mod.ts";
import { claimRange, completeRange, rangeProgress, type SnapshotRange } from "./claim_range.ts";
import {
  createSlotWithSnapshot,
  type ExportedSnapshot,
  importSnapshot,
} from "./exported_snapshot.ts";
import type { LegacyTable } from "./legacy_table.ts";
import type { SnapshotProgress } from "./progress.ts";
import { readRange } from "./read_range.ts";

/** Where a worker's reads come from: a snapshot and the LSN its rows are current at. */
export interface SnapshotSource {
  /** Opens the snapshot transaction on `legacy`; returns the LSN rows read in it are current at. */
  begin(legacy: pg.ClientBase): Promise<string>;
  /** Lets go of any slot this source created. */
  close(): Promise<void>;
}

/**
 * Reads under the run's exported snapshot while it can be imported; once its
 * exporter has gone (a resumed or joining process), under a snapshot exported
 * by a temporary slot of this process, whose consistent point is exact too.
 */
export function runSnapshotSource(
  legacyUrl: string,
  run: { slotName: string; snapshotName: string | null; consistentPoint: string | null },
): SnapshotSource {
  let temporary: Promise<ExportedSnapshot> | undefined;
  const fresh = () =>
    temporary ??= createSlotWithSnapshot(
      legacyUrl,
      `${run.slotName.slice(0, 40)}_t${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`,
      { temporary: true },
    );
  return {
    async begin(legacy) {
      if (!temporary && run.snapshotName && run.consistentPoint) {
        if (await importSnapshot(legacy, run.snapshotName)) return run.consistentPoint;
      }
      const snapshot = await fresh();
      if (!(await importSnapshot(legacy, snapshot.snapshotName))) {
        throw new Error(`Cannot import the snapshot of temporary slot "${snapshot.slotName}"`);
      }
      return snapshot.consistentPoint;
    },
    async close() {
      if (temporary) await (await temporary).close();
    },
  };
}

/** What judging and staging a range needs. */
export interface StageRangeContext {
  table: LegacyTable;
  random: RandomSource;
  protectedSkeletons: ReadonlySet<string>;
  progress: SnapshotProgress;
}

/** What the workers share. */
export interface ReadRangesContext extends StageRangeContext {
  legacyUrl: string;
  identityUrl: string;
  slotName: string;
  workers: number;
  /** Prefix of the worker names stored in `claimed_by`. */
  workerName: string;
}

/**
 * Reads `range` through `legacy` (inside its snapshot transaction), judges each
 * row and stages the decisions through `identity` (inside the transaction that
 * claimed the range), then marks the range done there.
 */
export async function stageRange(
  legacy: pg.ClientBase,
  identity: pg.ClientBase,
  context: StageRangeContext,
  range: SnapshotRange,
  options: { lsn: string; signal?: AbortSignal },
): Promise<number> {
  let rows = 0;
  for await (const batch of readRange(legacy, context.table, range, { lsn: options.lsn })) {
    if (options.signal?.aborted) throw new Error("snapshot aborted: another worker failed");
    const decisions = batch.map((change) =>
      decideName(change, {
        protectedSkeletons: context.protectedSkeletons,
        random: context.random,
      })
    );
    await stageDecisions(identity, range, decisions);
    rows += batch.length;
    context.progress.addRows(batch.length);
  }
  await completeRange(identity, range, rows);
  return rows;
}

/** Runs `context.workers` workers until every range of the run is done. */
export async function readRanges(
  context: ReadRangesContext,
  source: SnapshotSource,
): Promise<void> {
  const abort = new AbortController();
  const workers = Array.from(
    { length: context.workers },
    (_, i) =>
      runWorker(context, source, `${context.workerName}/${i + 1}`, abort.signal).catch((error) => {
        abort.abort();
        throw error;
      }),
  );
  const results = await Promise.allSettled(workers);
  const failure = results.find((r) => r.status === "rejected");
  if (failure) throw (failure as PromiseRejectedResult).reason;
}

/** Polling interval while other processes finish the last ranges. */
const WAIT_FOR_OTHERS_MS = 500;

async function runWorker(
  context: ReadRangesContext,
  source: SnapshotSource,
  name: string,
  signal: AbortSignal,
): Promise<void> {
  const legacy = new pg.Client({ connectionString: context.legacyUrl });
  const identity = new pg.Client({ connectionString: context.identityUrl });
  await Promise.all([legacy.connect(), identity.connect()]);
  try {
    const lsn = await source.begin(legacy);
    while (!signal.aborted) {
      await identity.query("begin");
      const range = await claimRange(identity, context.slotName, name);
      if (!range) {
        await identity.query("rollback");
        const { ranges, done } = await rangeProgress(identity, context.slotName);
        if (done === ranges) break;
        // Other processes hold the last ranges; wait, and take over any they abandon.
        await new Promise((resolve) => setTimeout(resolve, WAIT_FOR_OTHERS_MS));
        continue;
      }
      try {
        await stageRange(legacy, identity, context, range, { lsn, signal });
        await identity.query("commit");
      } catch (error) {
        await identity.query("rollback").catch(() => {});
        throw error;
      }
    }
  } finally {
    await legacy.query("rollback").catch(() => {});
    await Promise.all([legacy.end(), identity.end()]);
  }
}
