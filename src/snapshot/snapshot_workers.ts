/**
 * The snapshot's worker threads, one set for the whole run: first they read, judge and stage the
 * ranges, then they draw the one pass's fallbacks.
 */
import type { DrawnFallback, FallbackDrawer, Loser } from "./draw_fallbacks.ts";
import type { RangeWorkerInit } from "./read_ranges.ts";

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
  #requests = 0;

  /** Starts `count` threads. */
  constructor(count: number) {
    for (let i = 0; i < count; i++) {
      const thread = new Worker(new URL("./snapshot_worker.ts", import.meta.url), {
        type: "module",
      });
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

  /** How many threads there are. */
  get size(): number {
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

  /**
   * Draws fallbacks for `losers`, each thread for a slice of them at once (a slice's names are
   * distinct; two slices may draw the same name, which the one pass sees as a collision).
   */
  async draw(losers: Loser[]): Promise<DrawnFallback[]> {
    const slice = Math.ceil(losers.length / this.#threads.length);
    const drawn = await Promise.all(this.#threads.map((thread, i) => {
      const id = ++this.#requests;
      const slices = Promise.withResolvers<DrawnFallback[]>();
      this.#waiting[i]!.drawing.set(id, slices);
      const request: WorkerRequest = {
        type: "draw",
        id,
        losers: losers.slice(i * slice, (i + 1) * slice),
      };
      thread.postMessage(request);
      return slices.promise;
    }));
    return drawn.flat();
  }

  /** Ends every thread. */
  close(): void {
    for (const thread of this.#threads) thread.terminate();
  }
}
