/** The sync daemon as the benchmarks run it: `deno task sync` in a process of its own. */
import { peakResidentKb } from "./peak_rss.ts";
import { processCpu } from "./process_cpu.ts";
import { projectCommand, type ProjectDatabases } from "./project_task.ts";

/** A running daemon. */
export interface Daemon {
  /** Settles when the process exits. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** Its CPU seconds so far, every thread included. */
  cpuSeconds(): number;
  /** Its peak resident set so far, in MB (sampled every 100 ms). */
  peakRssMb(): number;
  /** SIGTERM, then waits for it to exit (cleanly: the daemon stops on SIGTERM). */
  stop(): Promise<void>;
}

/** Starts the daemon on `databases`. */
export function startDaemon(databases: ProjectDatabases): Daemon {
  const child = projectCommand("sync", databases).spawn();
  let peakKb = 0;
  let lastCpu = 0;
  const sampleRss = () => peakKb = Math.max(peakKb, peakResidentKb(child.pid) ?? 0);
  const sampler = setInterval(sampleRss, 100);
  const exited = child.status.finally(() => clearInterval(sampler));
  return {
    exited,
    cpuSeconds: () => lastCpu = processCpu(child.pid)?.own ?? lastCpu,
    peakRssMb: () => Math.round(sampleRss() / 1024),
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // It has exited already.
      }
      const status = await exited;
      if (!status.success && status.signal !== "SIGTERM") {
        throw new Error(`the sync daemon exited with code ${status.code}`);
      }
    },
  };
}
