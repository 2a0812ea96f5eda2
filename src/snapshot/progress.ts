/**
 * Snapshot progress for the operator: a bar with rate and ETA on a terminal,
 * a JSON log line every few seconds otherwise.
 */
import { logger } from "../logging/logging.ts";

/** Counters the snapshot's stages update. */
export class SnapshotProgress {
  /** The stage running now: reading, claiming, assigning. */
  phase = "reading";
  /** Rows expected in all. */
  total = 0;
  /** Rows read so far, by every process of the run. */
  done = 0;
  /** Rows read by this process. */
  readHere = 0;
  /** Accounts given a fallback by this process. */
  assigned = 0;
  readonly startedAt: number = performance.now();

  /** Counts `rows` more rows read by this process. */
  addRows(rows: number): void {
    this.done += rows;
    this.readHere += rows;
  }

  /** Rows read by every process over the rows expected, from 0 to 1 (1 once past reading). */
  ratio(): number {
    if (this.phase !== "reading") return 1;
    return this.total > 0 ? Math.min(1, this.done / this.total) : 0;
  }

  /** Seconds since the snapshot started. */
  seconds(): number {
    return (performance.now() - this.startedAt) / 1_000;
  }
}

/** Reports `progress` every `intervalMs` until the returned function is called. */
export function reportProgress(
  progress: SnapshotProgress,
  options: { intervalMs?: number; terminal?: boolean } = {},
): () => void {
  const terminal = options.terminal ?? Deno.stderr.isTerminal();
  const intervalMs = options.intervalMs ?? (terminal ? 250 : 5_000);
  const log = logger("snapshot");
  const encoder = new TextEncoder();
  const tick = () => {
    const seconds = progress.seconds();
    const rate = progress.readHere / Math.max(seconds, 1e-3);
    const ratio = progress.total > 0 ? Math.min(1, progress.done / progress.total) : 0;
    const eta = rate > 0 ? Math.max(0, (progress.total - progress.done) / rate) : null;
    if (terminal) {
      const width = 30;
      const filled = Math.round(ratio * width);
      const line = `\r\x1b[2K[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${
        (ratio * 100).toFixed(1)
      }% ${progress.done.toLocaleString("en")}/${progress.total.toLocaleString("en")} rows ${
        Math.round(rate).toLocaleString("en")
      } rows/s ETA ${eta === null ? "?" : `${Math.ceil(eta)}s`} ${progress.phase}`;
      Deno.stderr.writeSync(encoder.encode(line));
    } else {
      log.info("snapshot progress {phase} {rows_done}/{rows_total}", {
        phase: progress.phase,
        rows_done: progress.done,
        rows_total: progress.total,
        ratio: Number(ratio.toFixed(4)),
        rows_per_second: Math.round(rate),
        eta_seconds: eta === null ? null : Math.ceil(eta),
        fallbacks_assigned: progress.assigned,
      });
    }
  };
  const timer = setInterval(tick, intervalMs);
  return () => {
    clearInterval(timer);
    if (terminal) {
      tick();
      Deno.stderr.writeSync(encoder.encode("\n"));
    }
  };
}
