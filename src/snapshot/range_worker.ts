/// <reference lib="deno.worker" />
/**
 * A snapshot range worker thread: receives its {@linkcode RangeWorkerInit},
 * stages ranges until none is left, and reports rows, completion or failure.
 */
import { type RangeWorkerInit, runRangeWorker } from "./read_ranges.ts";

self.onmessage = async (event: MessageEvent<RangeWorkerInit>) => {
  try {
    await runRangeWorker(event.data, (rows) => self.postMessage({ type: "rows", rows }));
    self.postMessage({ type: "done" });
  } catch (error) {
    self.postMessage({ type: "error", message: (error as Error).message ?? String(error) });
  }
};
