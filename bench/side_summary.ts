/**
 * One side of a comparison (the native peer, the project, a ceiling) over N runs: the median time
 * and its spread, the rate, CPU per change on each server and in the side's own process, as lines
 * to print and as JSON.
 */
import { formatSpread, type Spread, spread } from "./median.ts";
import type { ServerCpu } from "./server_cpu.ts";

/** One run of one side. */
export interface SideRun {
  seconds: number;
  /** Rows or changes the run moved. */
  changes: number;
  legacyCpu: ServerCpu;
  targetCpu: ServerCpu;
  /** CPU seconds of the side's own process (the daemon, the snapshot, the decoder); null: none. */
  processCpu: number | null;
  peakRssMb?: number | null;
}

/** A side's runs, summarised. */
export interface SideSummary {
  seconds: Spread;
  runSeconds: number[];
  /** Changes per second at the median time. */
  perSecond: number;
  /** Medians over the runs, in CPU microseconds per change. */
  cpuUsPerChange: { legacy: number; target: number; process: number | null; total: number };
  /** Median CPU seconds of each kind of server process. */
  cpuByKind: { legacy: Record<string, number>; target: Record<string, number> };
  /** The highest of the runs. */
  peakRssMb: number | null;
}

/** Summarises `runs` of one side. */
export function summariseSide(runs: readonly SideRun[]): SideSummary {
  const seconds = spread(runs.map((run) => run.seconds));
  const changes = spread(runs.map((run) => run.changes)).median;
  const perChange = (pick: (run: SideRun) => number) =>
    round(spread(runs.map((run) => pick(run) * 1e6 / run.changes)).median, 1);
  const hasProcess = runs.every((run) => run.processCpu !== null);
  const peaks = runs.map((run) => run.peakRssMb ?? null).filter((mb) => mb !== null);
  return {
    seconds,
    runSeconds: runs.map((run) => round(run.seconds, 3)),
    perSecond: Math.round(changes / seconds.median),
    cpuUsPerChange: {
      legacy: perChange((run) => run.legacyCpu.seconds),
      target: perChange((run) => run.targetCpu.seconds),
      process: hasProcess ? perChange((run) => run.processCpu!) : null,
      total: perChange((run) =>
        run.legacyCpu.seconds + run.targetCpu.seconds + (run.processCpu ?? 0)
      ),
    },
    cpuByKind: {
      legacy: medianByKind(runs.map((run) => run.legacyCpu.byKind)),
      target: medianByKind(runs.map((run) => run.targetCpu.byKind)),
    },
    peakRssMb: peaks.length > 0 ? Math.max(...peaks) : null,
  };
}

/** `native   1.23 s (1.20–1.31)   16,260/s  CPU µs/change: legacy 12 + target 30 = 42`. */
export function sideLine(label: string, side: SideSummary, unit = "change"): string {
  const cpu = side.cpuUsPerChange;
  const process = cpu.process === null ? "" : ` + process ${cpu.process}`;
  const rss = side.peakRssMb === null ? "" : `, peak RSS ${side.peakRssMb} MB`;
  return `  ${label.padEnd(20)} ${formatSpread(side.seconds, "s").padEnd(24)} ${
    side.perSecond.toLocaleString("en").padStart(9)
  }/s  CPU µs/${unit}: legacy ${cpu.legacy} + target ${cpu.target}${process} = ${cpu.total}${rss}`;
}

/** The busiest kinds of process on each server, median CPU seconds. */
export function kindsLine(label: string, side: SideSummary): string {
  const top = (byKind: Record<string, number>) =>
    Object.entries(byKind).filter(([, seconds]) => seconds >= 0.01)
      .sort(([, a], [, b]) => b - a).map(([kind, seconds]) => `${kind} ${seconds.toFixed(2)}`)
      .join(", ") || "—";
  return `    ${label} CPU s by process — legacy: ${top(side.cpuByKind.legacy)}; target: ${
    top(side.cpuByKind.target)
  }`;
}

/** How much faster `a` is than `b`, from their median times (above 1: `a` is faster). */
export function speedRatio(a: SideSummary, b: SideSummary): number {
  return round(b.seconds.median / a.seconds.median, 3);
}

/** The summary as JSON fields. */
export function sideJson(side: SideSummary): Record<string, unknown> {
  return {
    seconds: roundSpread(side.seconds),
    run_seconds: side.runSeconds,
    per_second: side.perSecond,
    cpu_us_per_change: side.cpuUsPerChange,
    cpu_seconds_by_kind: side.cpuByKind,
    peak_rss_mb: side.peakRssMb,
  };
}

function medianByKind(runs: readonly Record<string, number>[]): Record<string, number> {
  const kinds = new Set(runs.flatMap((byKind) => Object.keys(byKind)));
  return Object.fromEntries(
    [...kinds].map((
      kind,
    ) => [kind, round(spread(runs.map((byKind) => byKind[kind] ?? 0)).median, 3)]),
  );
}

/** `value` to `digits` decimals. */
export function round(value: number, digits = 3): number {
  return Number(value.toFixed(digits));
}

function roundSpread(value: Spread): Spread {
  return { median: round(value.median), min: round(value.min), max: round(value.max) };
}
