/** `deno task snapshot`: the backfill, printed as a one-line JSON summary. */
import type { Config } from "../config.ts";
import { resolveDatabases } from "../db/resolve_databases.ts";
import { healthRoute } from "../http/health_routes.ts";
import { startOpsListener } from "../http/listeners.ts";
import type { SnapshotProgress } from "../snapshot/progress.ts";
import { runSnapshot, type SnapshotOutcome } from "../snapshot/run_snapshot.ts";
import { logger } from "../logging/logging.ts";
import { createMetrics } from "../telemetry/metrics.ts";
import { observeSnapshot } from "../telemetry/snapshot_metrics.ts";

/** Runs, resumes or joins the snapshot (or predicts it with --dry-run) and prints its summary. */
export async function snapshotCommand(config: Config): Promise<void> {
  const log = logger("snapshot");
  // Its progress is scraped like the daemon's: /metrics, and /healthz while it runs.
  const metrics = createMetrics({ env: Deno.env.toObject() });
  let progress: SnapshotProgress | undefined;
  observeSnapshot(metrics.meter, () => progress);
  const server = await startOpsListener(config, [
    metrics.route,
    healthRoute(() => ({
      ready: progress !== undefined,
      reason: progress ? `snapshot ${progress.phase}` : "snapshot starting",
      state: "snapshotting",
      apply_lag_seconds: null,
    })),
  ]);
  try {
    const databases = await resolveDatabases(config, {
      onLog: (line) => log.debug("postgres {line}", { line: line.trim() }),
    });
    try {
      const outcome = await runSnapshot({
        config,
        legacyUrl: databases.legacyUrl,
        identityUrl: databases.identityUrl,
        progress: true,
        watch: (watched) => progress = watched,
      });
      console.log(JSON.stringify(snapshotSummary(outcome, config)));
    } finally {
      await databases.close();
    }
  } finally {
    await server.stop();
    await metrics.shutdown();
  }
}

/** The one-line JSON summary of a snapshot outcome. */
export function snapshotSummary(outcome: SnapshotOutcome, config: Config): Record<string, unknown> {
  const { counts } = outcome;
  if (outcome.status === "already-complete" || counts === null) {
    return {
      command: "snapshot",
      status: "already-complete",
      dry_run: outcome.dryRun,
      message: `the snapshot of slot "${config.replication.slotName}" is complete; nothing to do`,
    };
  }
  const seconds = Number(outcome.seconds.toFixed(3));
  return {
    command: "snapshot",
    status: "completed",
    dry_run: outcome.dryRun,
    rows: counts.rows,
    rows_read_here: outcome.rowsRead,
    claimed: counts.claimed,
    fallbacks: counts.fallbacks,
    reasons: counts.reasons,
    workers: outcome.workers,
    seconds,
    rows_per_second: Math.round(outcome.rowsRead / Math.max(outcome.seconds, 1e-3)),
    ...(config.snapshot.reportFile ? { report_file: config.snapshot.reportFile } : {}),
  };
}
