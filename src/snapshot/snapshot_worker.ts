/// <reference lib="deno.worker" />
/**
 * A snapshot worker thread: told to read, it stages ranges until none is left and reports rows,
 * completion or failure; told to draw, it draws a batch's fallbacks and sends them back.
 */
import { cryptoRandom } from "../policy/mod.ts";
import { drawFallbacks } from "./draw_fallbacks.ts";
import { runRangeWorker } from "./read_ranges.ts";
import type { WorkerReply, WorkerRequest } from "./snapshot_workers.ts";

const reply = (message: WorkerReply) => self.postMessage(message);

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  if (request.type === "draw") {
    try {
      reply({
        type: "drawn",
        id: request.id,
        fallbacks: drawFallbacks(request.losers, cryptoRandom),
      });
    } catch (error) {
      reply({ type: "error", id: request.id, message: (error as Error).message ?? String(error) });
    }
    return;
  }
  try {
    await runRangeWorker(request.init, (rows) => reply({ type: "rows", rows }));
    reply({ type: "done" });
  } catch (error) {
    reply({ type: "error", message: (error as Error).message ?? String(error) });
  }
};
