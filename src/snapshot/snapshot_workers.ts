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

/** One thread and what it owes. */
interface Thread {
  worker: Worker;
  reading?: { resolve(): void; reject(error: Error): void; onRows(rows: number): void };
  drawing: Map<number, PromiseWithResolvers<DrawnFallback[]>>;
  /** Why it stopped: every request to it fails with this. */
  failed?: Error;
}

/**
 * The snapshot's worker threads (Web Workers, so the policy runs on every core): they read,
 * judge and stage the ranges, then draw the one pass's fallbacks (from the CSPRNG). One set
 * for the whole run: a second set of threads would add its heaps to the process's peak RSS.
 * A thread that fails (an uncaught error, a module that does not load) fails what it was asked
 * and everything asked of it later: nothing waits for a thread that is gone.
 */
export class SnapshotWorkers implements FallbackDrawer {
  readonly #threads: Thread[] = [];
  #requests = 0;

  /** Starts `count` threads. */
  constructor(count: number) {
    try {
      for (let i = 0; i < count; i++) this.#threads.push(this.#start(i));
    } catch (error) {
      this.close();
      throw error;
    }
  }

  #start(i: number): Thread {
    const worker = new Worker(new URL("./snapshot_worker.ts", import.meta.url), {
      type: "module",
    });
    const thread: Thread = { worker, drawing: new Map() };
    worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const message = event.data;
      if (message.type === "rows") thread.reading?.onRows(message.rows);
      else if (message.type === "done") thread.reading?.resolve();
      else if (message.type === "drawn") {
        thread.drawing.get(message.id)?.resolve(message.fallbacks);
        thread.drawing.delete(message.id);
      } else if (message.id !== undefined) {
        thread.drawing.get(message.id)?.reject(new Error(message.message));
        thread.drawing.delete(message.id);
      } else thread.reading?.reject(new Error(message.message));
    };
    const fail = (message: string) => {
      this.#fail(thread, new Error(`snapshot worker ${i + 1} failed: ${message}`));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      fail(event.message);
    };
    worker.onmessageerror = () => fail("a message it sent could not be read");
    return thread;
  }

  /** Marks `thread` failed with `error` and fails what it owes. */
  #fail(thread: Thread, error: Error): void {
    thread.failed ??= error;
    thread.reading?.reject(thread.failed);
    for (const draw of thread.drawing.values()) draw.reject(thread.failed);
    thread.drawing.clear();
  }

  /** How many threads there are. */
  get size(): number {
    return this.#threads.length;
  }

  /** Runs every thread until every range of the run is done. */
  async read(init: RangeWorkerInit, onRows: (rows: number) => void): Promise<void> {
    await Promise.all(this.#threads.map((thread, i) => {
      if (thread.failed) return Promise.reject(thread.failed);
      const done = Promise.withResolvers<void>();
      thread.reading = { ...done, onRows };
      const request: WorkerRequest = {
        type: "read",
        init: { ...init, workerName: `${init.workerName}/${i + 1}` },
      };
      thread.worker.postMessage(request);
      return done.promise.finally(() => thread.reading = undefined);
    }));
  }

  /**
   * Draws fallbacks for `losers`, each thread for a slice of them at once (a slice's names are
   * distinct; two slices may draw the same name, which the one pass sees as a collision).
   */
  async draw(losers: Loser[]): Promise<DrawnFallback[]> {
    const slice = Math.ceil(losers.length / this.#threads.length);
    const drawn = await Promise.all(this.#threads.map((thread, i) => {
      if (thread.failed) return Promise.reject(thread.failed);
      const id = ++this.#requests;
      const slices = Promise.withResolvers<DrawnFallback[]>();
      thread.drawing.set(id, slices);
      const request: WorkerRequest = {
        type: "draw",
        id,
        losers: losers.slice(i * slice, (i + 1) * slice),
      };
      thread.worker.postMessage(request);
      return slices.promise;
    }));
    return drawn.flat();
  }

  /** Ends every thread; what they still owe fails. */
  close(): void {
    for (const thread of this.#threads) {
      thread.worker.terminate();
      this.#fail(thread, new Error("the snapshot's worker threads were closed"));
    }
  }
}
