/** `deno task sync`: the daemon, until SIGTERM or SIGINT. */
import process from "node:process";
import type { Config } from "../config.ts";
import { resolveDatabases } from "../db/resolve_databases.ts";
import { runSync } from "../sync/run_sync.ts";
import { logger } from "../telemetry/logging.ts";

/** The signals that stop the daemon gracefully. */
const SIGNALS = ["SIGTERM", "SIGINT"] as const;

/** Runs the daemon; SIGTERM or SIGINT stops reading, commits and acknowledges the batch in flight. */
export async function syncCommand(config: Config): Promise<void> {
  const log = logger("sync");
  const stop = new AbortController();
  const onSignal = () => {
    log.info("stopping: committing the batch in flight");
    stop.abort();
  };
  const databases = await resolveDatabases(config, {
    onLog: (line) => log.debug("postgres {line}", { line: line.trim() }),
  });
  // The embedded server's exit hooks would stop it at the first signal, under the batch
  // in flight; here the batch commits first, then `close()` stops the server.
  for (const signal of SIGNALS) process.removeAllListeners(signal);
  for (const signal of SIGNALS) Deno.addSignalListener(signal, onSignal);
  try {
    await runSync({
      config,
      legacyUrl: databases.legacyUrl,
      identityUrl: databases.identityUrl,
      signal: stop.signal,
      onBatch: (batch) =>
        log.info("applied {changes} changes in {transactions} transactions", {
          changes: batch.changes,
          transactions: batch.transactions,
          lsn: batch.checkpoint.lastAppliedLsn,
          ms: Math.round(batch.milliseconds),
          ...batch.stats,
        }),
    });
  } finally {
    for (const signal of SIGNALS) Deno.removeSignalListener(signal, onSignal);
    await databases.close();
  }
}
