/** The real snapshot as the benchmarks run it: `deno task snapshot` in a process of its own. */
import { peakResidentKb } from "./peak_rss.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

/** What one snapshot process did. */
export interface SnapshotRun {
  seconds: number;
  /** Its one-line JSON summary. */
  summary: { workers: number; [key: string]: unknown };
  peakRssMb: number | null;
}

/** Runs the snapshot against `url` with `env` on top of the defaults; samples its peak RSS. */
export async function runSnapshotProcess(
  url: string,
  env: Record<string, string> = {},
): Promise<SnapshotRun> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...taskV8Flags("snapshot"), MAIN, "snapshot"],
    env: {
      LEGACY_DATABASE_URL: url,
      OPS_HTTP_PORT: "0",
      API_HTTP_PORT: "0",
      LOG_LEVEL: Deno.env.get("LOG_LEVEL") ?? "warning",
      ...env,
    },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let peakKb: number | null = null;
  const sample = setInterval(() => {
    peakKb = Math.max(peakKb ?? 0, peakResidentKb(child.pid) ?? 0) || peakKb;
  }, 100);
  const output = await child.output();
  clearInterval(sample);
  const seconds = (performance.now() - started) / 1_000;
  if (!output.success) throw new Error(`snapshot failed with exit code ${output.code}`);
  const summary = JSON.parse(new TextDecoder().decode(output.stdout).trim().split("\n").at(-1)!);
  return { seconds, summary, peakRssMb: peakKb === null ? null : Math.round(peakKb / 1024) };
}

/** The V8 flags a deno.json task passes, so that the benchmark runs it as production does. */
export function taskV8Flags(task: string): string[] {
  const command = JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url)))
    .tasks[task].command as string;
  return command.split(" ").filter((arg) => arg.startsWith("--v8-flags="));
}
