/** A timed window of a benchmark, with the CPU both servers spent in it. */
import type { BenchServers } from "./bench_servers.ts";
import { type ServerCpu, ServerCpuMeter } from "./server_cpu.ts";

/** Short-lived server processes (a table sync worker) are seen at this interval. */
const SAMPLE_MS = 100;

/** What a window took: wall-clock seconds, each server's CPU, and what the body returned. */
export interface Window<T> {
  seconds: number;
  legacyCpu: ServerCpu;
  targetCpu: ServerCpu;
  value: T;
}

/** Runs `body`, timing it and measuring the CPU of both servers while it runs. */
export async function timeWindow<T>(
  servers: Pick<BenchServers, "legacy" | "target">,
  body: () => Promise<T>,
): Promise<Window<T>> {
  const legacy = new ServerCpuMeter(servers.legacy.pid);
  const target = new ServerCpuMeter(servers.target.pid);
  legacy.start();
  target.start();
  const sampler = setInterval(() => {
    legacy.sample();
    target.sample();
  }, SAMPLE_MS);
  const started = performance.now();
  try {
    const value = await body();
    const seconds = (performance.now() - started) / 1_000;
    return { seconds, legacyCpu: legacy.finish(), targetCpu: target.finish(), value };
  } finally {
    clearInterval(sampler);
  }
}
