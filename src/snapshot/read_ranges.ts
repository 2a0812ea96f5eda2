/**
 * Stage one of the snapshot: workers claim ranges, read them under the run's
 * snapshot, judge every row by the policy and stage the decisions. A range's
 * claim, its staged rows and its "done" mark commit together. Each worker is
 * a thread of its own (a Web Worker), so the policy runs on every core.
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
import type { DrawnFallback, FallbackDrawer, Loser } from "./draw_fallbacks.ts";

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

/** A request to a snapshot worker thread. */
export type WorkerRequest =
  | { type: "read"; init: RangeWorkerInit }
  | { type: "draw"; id: number; losers: Loser[] };

/** A message from a snapshot worker thread. */
export type WorkerReply =
  | { type: "rows"; rows: number }
  | { type: "done" }
  | { type: "drawn"; id: number; fallbacks: DrawnFallback[] }
  | { type: "error"; id?: number; message: string };

/** What a thread is waiting for. */
interface Waiting {
  reading?: { resolve(): void; reject(error: Error): void; onRows(rows: number): void };
  drawing: Map<number, PromiseWithResolvers<DrawnFallback[]>>;
}

/**
 * The snapshot's worker threads (Web Workers, so the policy runs on every core): they read,
 * judge and stage the ranges, then draw the one pass's fallbacks (from the CSPRNG). One set
 * for the whole run: a second set of threads would add its heaps to the process's peak RSS.
 */
export class SnapshotWorkers implements FallbackDrawer {
  readonly #threads: Worker[] = [];
  readonly #waiting: Waiting[] = [];
  #turn = 0;
  #requests = 0;

  /** Starts `count` threads. */
  constructor(count: number) {
    for (let i = 0; i < count; i++) {
      const thread = new Worker(new URL("./range_worker.ts", import.meta.url), { type: "module" });
      const waiting: Waiting = { drawing: new Map() };
      thread.onmessage = (event: MessageEvent<WorkerReply>) => {
        const message = event.data;
        if (message.type === "rows") waiting.reading?.onRows(message.rows);
        else if (message.type === "done") waiting.reading?.resolve();
        else if (message.type === "drawn") {
          waiting.drawing.get(message.id)?.resolve(message.fallbacks);
          waiting.drawing.delete(message.id);
        } else if (message.id !== undefined) {
          waiting.drawing.get(message.id)?.reject(new Error(message.message));
          waiting.drawing.delete(message.id);
        } else waiting.reading?.reject(new Error(message.message));
      };
      thread.onerror = (event) => {
        event.preventDefault();
        const error = new Error(`snapshot worker ${i + 1} failed: ${event.message}`);
        waiting.reading?.reject(error);
        for (const draw of waiting.drawing.values()) draw.reject(error);
        waiting.drawing.clear();
      };
      this.#threads.push(thread);
      this.#waiting.push(waiting);
    }
  }

  /** Batches drawn at once: one a thread. */
  get concurrency(): number {
    return this.#threads.length;
  }

  /** Runs every thread until every range of the run is done. */
  async read(init: RangeWorkerInit, onRows: (rows: number) => void): Promise<void> {
    await Promise.all(this.#threads.map((thread, i) => {
      const done = Promise.withResolvers<void>();
      this.#waiting[i]!.reading = { ...done, onRows };
      const request: WorkerRequest = {
        type: "read",
        init: { ...init, workerName: `${init.workerName}/${i + 1}` },
      };
      thread.postMessage(request);
      return done.promise.finally(() => this.#waiting[i]!.reading = undefined);
    }));
  }

  /** Draws fallbacks for `losers` on the next thread in turn. */
  draw(losers: Loser[]): Promise<DrawnFallback[]> {
    const i = this.#turn++ % this.#threads.length;
    const id = ++this.#requests;
    const drawn = Promise.withResolvers<DrawnFallback[]>();
    this.#waiting[i]!.drawing.set(id, drawn);
    const request: WorkerRequest = { type: "draw", id, losers };
    this.#threads[i]!.postMessage(request);
    return drawn.promise;
  }

  /** Ends every thread. */
  close(): void {
    for (const thread of this.#threads) thread.terminate();
  }
}
