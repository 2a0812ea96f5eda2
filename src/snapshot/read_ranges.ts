/**
 * Stage one of the snapshot: workers claim ranges, read them under the run's
 * snapshot, judge every row by the policy and stage the decisions. A range's
 * claim, its staged rows and its "done" mark commit together. Each worker is
 * a thread of its own (see `SnapshotWorkers`), so the policy runs on every core.
 */
import { decideName } from "../apply/name_decision.ts";
import { stageDecisions } from "../apply/stage_decisions.ts";
import pg from "../db/pg.ts";
import {
  cryptoRandom,
  type ProtectedNames,
  protectedNames,
  type RandomSource,
} from "../policy/mod.ts";
import { claimRange, completeRange, rangeProgress, type SnapshotRange } from "./claim_range.ts";
import {
  createSlotWithSnapshot,
  type ExportedSnapshot,
  importSnapshot,
} from "./exported_snapshot.ts";
import type { LegacyTable } from "../legacy/legacy_table.ts";
import { readRange } from "./read_range.ts";
import { lsnBefore } from "../db/lsn.ts";

/**
 * A snapshot the workers import, and the version its rows carry: one byte
 * before its consistent point, so that the stream's guard (apply a change when
 * its commit LSN is greater) applies exactly the transactions the snapshot lacks.
 */
export interface ReadSnapshot {
  snapshotName: string;
  lsn: string;
}

/**
 * The snapshot this process reads under: the run's own export when this
 * process created the slot; otherwise (a resumed or joining process) one
 * exported by a temporary slot of its own, whose consistent point is exact too.
 * Close it once the workers are done.
 */
export async function openReadSnapshot(
  legacyUrl: string,
  slotName: string,
  exported?: ExportedSnapshot,
): Promise<ReadSnapshot & { close(): Promise<void> }> {
  const snapshot = exported ?? await createSlotWithSnapshot(
    legacyUrl,
    `${slotName.slice(0, 40)}_t${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`,
    { temporary: true },
  );
  return {
    snapshotName: snapshot.snapshotName,
    // The stream delivers only transactions committed at or after the consistent point.
    lsn: lsnBefore(snapshot.consistentPoint),
    close: () => snapshot.close(),
  };
}

/** What judging and staging a range needs. */
export interface StageRangeContext {
  table: LegacyTable;
  random: RandomSource;
  protectedNames: ProtectedNames;
  /** Told of every batch of rows staged. */
  onRows: (rows: number) => void;
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
  options: { lsn: string },
): Promise<number> {
  let rows = 0;
  for await (const batch of readRange(legacy, context.table, range, { lsn: options.lsn })) {
    const decisions = batch.map((change) =>
      decideName(change, {
        protectedNames: context.protectedNames,
        random: context.random,
      })
    );
    await stageDecisions(identity, range, decisions);
    rows += batch.length;
    context.onRows(batch.length);
  }
  await completeRange(identity, range, rows);
  return rows;
}

/** Everything a range worker needs, as plain data it can receive in a message. */
export interface RangeWorkerInit {
  legacyUrl: string;
  identityUrl: string;
  table: LegacyTable;
  slotName: string;
  /** Stored in `claimed_by`: host, process and worker number. */
  workerName: string;
  snapshot: ReadSnapshot;
  protectedNames: string[];
}

/** Polling interval while other processes finish the last ranges. */
const WAIT_FOR_OTHERS_MS = 500;

/** One worker: claims and stages ranges until every range of the run is done. */
export async function runRangeWorker(
  init: RangeWorkerInit,
  onRows: (rows: number) => void,
): Promise<void> {
  const legacy = new pg.Client({ connectionString: init.legacyUrl });
  const identity = new pg.Client({ connectionString: init.identityUrl });
  // A session the server ends (a restart, a terminated backend) fails the query in flight;
  // unhandled, the client's error event would also kill the whole process.
  legacy.on("error", () => {});
  identity.on("error", () => {});
  await Promise.all([legacy.connect(), identity.connect()]);
  const context: StageRangeContext = {
    table: init.table,
    random: cryptoRandom,
    protectedNames: protectedNames(init.protectedNames),
    onRows,
  };
  try {
    if (!(await importSnapshot(legacy, init.snapshot.snapshotName))) {
      throw new Error(
        `Cannot read the legacy table: snapshot "${init.snapshot.snapshotName}" is gone`,
      );
    }
    while (true) {
      await identity.query("begin");
      const range = await claimRange(identity, init.slotName, init.workerName);
      if (!range) {
        await identity.query("rollback");
        const { ranges, done } = await rangeProgress(identity, init.slotName);
        if (done === ranges) break;
        // Other processes hold the last ranges; wait, and take over any they abandon.
        await new Promise((resolve) => setTimeout(resolve, WAIT_FOR_OTHERS_MS));
        continue;
      }
      try {
        await stageRange(legacy, identity, context, range, { lsn: init.snapshot.lsn });
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
