/** `deno task sync`: the daemon, until SIGTERM or SIGINT, with its two HTTP listeners. */
import process from "node:process";
import type { Config } from "../config.ts";
import { resolveDatabases } from "../db/resolve_databases.ts";
import { openAccountApi } from "../http/account_api.ts";
import { healthRoute } from "../http/health_routes.ts";
import { startApiListener, startOpsListener } from "../http/listeners.ts";
import { startStatusPoller } from "../status/status_poller.ts";
import { runSync } from "../sync/run_sync.ts";
import { logger } from "../logging/logging.ts";
import { createMetrics } from "../telemetry/metrics.ts";
import { SyncMetrics } from "../telemetry/sync_metrics.ts";

/** The signals that stop the daemon gracefully. */
const SIGNALS = ["SIGTERM", "SIGINT"] as const;

/** Runs the daemon; SIGTERM or SIGINT stops reading, commits and acknowledges the batch in flight. */
export async function syncCommand(config: Config): Promise<void> {
  const log = logger("sync");
  const stop = new AbortController();
  const metrics = createMetrics({ env: Deno.env.toObject() });
  const observed = new SyncMetrics(metrics.meter);
  /** Stops the embedded server, once there is one this process started. */
  let closeDatabases = () => Promise.resolve();
  const onSignal = () => {
    stop.abort();
    if (observed.state === "standby") {
      log.info("stopping: standing by, nothing in flight");
      return;
    }
    if (observed.state === "streaming" || observed.state === "reconnecting") {
      log.info("stopping: committing the batch in flight");
      return;
    }
    // Before streaming nothing waits for a commit: migrations are transactional and the
    // snapshot is crash-safe, resuming where it stopped at the next start. Stop now, not
    // once a snapshot of millions of rows is done.
    log.info("stopping before streaming ({phase}): the next start resumes", {
      phase: observed.state,
    });
    Promise.race([closeDatabases(), new Promise((resolve) => setTimeout(resolve, 5_000))])
      .finally(() => Deno.exit(0));
  };
  // Listening from the first moment: a signal during start-up stops the daemon cleanly too.
  for (const signal of SIGNALS) Deno.addSignalListener(signal, onSignal);
  const databases = await resolveDatabases(config, {
    onLog: (line) => log.debug("postgres {line}", { line: line.trim() }),
  });
  closeDatabases = () => databases.close();
  const api = openAccountApi(config, databases.identityUrl);
  const ops = await startOpsListener(config, [
    metrics.route,
    healthRoute(() => observed.readiness(config.ops.readyMaxLagSeconds)),
  ]);
  const server = await startApiListener(config, api.route);
  const poller = startStatusPoller({
    legacyUrl: databases.legacyUrl,
    identityUrl: databases.identityUrl,
    slotName: config.replication.slotName,
    slotFailover: config.replication.slotFailover,
    onSlot: (slot) => observed.slot = slot,
    onAccounts: (counts) => observed.accounts = counts,
  });
  let snapshotted = false;
  // The embedded server's exit hooks would stop it at the first signal, under the batch
  // in flight; here the batch commits first, then `close()` stops the server.
  for (const signal of SIGNALS) process.removeAllListeners(signal);
  try {
    await runSync({
      config,
      legacyUrl: databases.legacyUrl,
      identityUrl: databases.identityUrl,
      signal: stop.signal,
      onState: (state) => {
        if (state === observed.state) return;
        log.info("daemon {phase}", { phase: state });
        // A snapshot may have loaded every account: count them once streaming starts after it,
        // not at the next turn. Not after a reconnect or a standby's turn: the count is a scan of
        // the whole table, already taken at start.
        if (state === "snapshotting") snapshotted = true;
        if (state === "streaming" && snapshotted) {
          snapshotted = false;
          poller.countAccounts();
        }
        observed.state = state;
      },
      watchSnapshot: (progress) => observed.snapshot = progress,
      onCaughtUp: (commitTime) => observed.caughtUp(commitTime),
      onBatch: (batch) => {
        observed.batchApplied(batch);
        log.info("applied {changes} changes in {transactions} transactions", {
          phase: "streaming",
          changes: batch.changes,
          transactions: batch.transactions,
          lsn: batch.checkpoint.lastAppliedLsn,
          ms: Math.round(batch.milliseconds),
          ...batch.stats,
        });
      },
    });
  } finally {
    for (const signal of SIGNALS) Deno.removeSignalListener(signal, onSignal);
    await poller.stop();
    await server.stop();
    await ops.stop();
    await api.close();
    await metrics.shutdown();
    await databases.close();
  }
}
