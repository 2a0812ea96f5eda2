/** The real snapshot as the benchmarks run it: `deno task snapshot` in a process of its own. */
import { peakResidentKb } from "./peak_rss.ts";
import { reapedChildrenCpu } from "./process_cpu.ts";
import { projectCommand, type ProjectDatabases } from "./project_task.ts";

/** What one snapshot process did. */
export interface SnapshotRun {
  seconds: number;
  /** Its one-line JSON summary. */
  summary: { workers: number; [key: string]: unknown };
  peakRssMb: number | null;
  /** CPU seconds of the whole process, every thread, from start to exit. */
  cpuSeconds: number;
}

/** Runs the snapshot on `databases` with `env` on top of the defaults; samples its peak RSS. */
export async function runSnapshotProcess(
  databases: ProjectDatabases,
  env: Record<string, string> = {},
): Promise<SnapshotRun> {
  // Nothing else this process started ends meanwhile: what its reaped children's CPU grows by is
  // the snapshot's.
  const cpuBefore = reapedChildrenCpu();
  const started = performance.now();
  const child = projectCommand("snapshot", databases, { env, stdout: "piped" }).spawn();
  let peakKb: number | null = null;
  const sample = setInterval(() => {
    peakKb = Math.max(peakKb ?? 0, peakResidentKb(child.pid) ?? 0) || peakKb;
  }, 100);
  const output = await child.output();
  clearInterval(sample);
  const seconds = (performance.now() - started) / 1_000;
  const cpuSeconds = reapedChildrenCpu() - cpuBefore;
  if (!output.success) throw new Error(`snapshot failed with exit code ${output.code}`);
  const summary = JSON.parse(new TextDecoder().decode(output.stdout).trim().split("\n").at(-1)!);
  return {
    seconds,
    summary,
    peakRssMb: peakKb === null ? null : Math.round(peakKb / 1024),
    cpuSeconds,
  };
}
