/** `deno task verify`: checks the data contract's invariants across both databases. */
import type { Config } from "../config.ts";
import { resolveDatabases } from "../db/resolve_databases.ts";
import { logger } from "../logging/logging.ts";
import { VerifyError } from "../verify/verify_error.ts";
import { verifyInvariants, type VerifyProgress } from "../verify/verify_invariants.ts";

/** How often a long verification logs its progress. */
const PROGRESS_INTERVAL_MS = 5_000;

/**
 * Prints one JSON report of the invariants on stdout.
 *
 * @throws {VerifyError} of kind `invariants_breached` after the report when any is breached.
 */
export async function verifyCommand(config: Config): Promise<void> {
  const log = logger("verify");
  const databases = await resolveDatabases(config, {
    onLog: (line) => log.debug("postgres {line}", { line: line.trim() }),
  });
  try {
    const legacyTable = `${config.legacyTable.schema}.${config.legacyTable.name}`;
    log.info("verify started on {legacy_table}", { legacy_table: legacyTable });
    let lastLogged = performance.now();
    const result = await verifyInvariants(databases, {
      legacyTable: config.legacyTable,
      legacyColumns: config.legacyColumns,
      slotName: config.replication.slotName,
      onProgress: (progress) => {
        if (performance.now() - lastLogged < PROGRESS_INTERVAL_MS) return;
        lastLogged = performance.now();
        log.info(
          "verify progress: {legacy_rows} legacy rows, {accounts} accounts, {breaches} breaches",
          progressFields(progress),
        );
      },
    });
    console.log(JSON.stringify({
      command: "verify",
      ok: result.ok,
      legacy_table: legacyTable,
      legacy_rows: result.legacyRows,
      accounts: result.accounts,
      breaches: result.breaches,
      examples: result.examples,
      seconds: result.seconds,
    }));
    const breached = Object.entries(result.breaches).filter(([, count]) => count > 0);
    log.info("verify finished: {ok}", { ok: result.ok, seconds: result.seconds });
    if (!result.ok) {
      const summary = breached.map(([kind, count]) => `${kind} ${count}`).join(", ");
      throw new VerifyError(
        "invariants_breached",
        `Cannot confirm the identity invariants: ${summary} (see the report on stdout)`,
      );
    }
  } finally {
    await databases.close();
  }
}

function progressFields(progress: VerifyProgress): Record<string, number | undefined> {
  const percent = (done: number, estimate?: number) =>
    estimate ? Math.min(100, Math.round((done / estimate) * 1000) / 10) : undefined;
  return {
    legacy_rows: progress.legacyRows,
    legacy_rows_percent: percent(progress.legacyRows, progress.legacyRowsEstimate),
    accounts: progress.accounts,
    accounts_percent: percent(progress.accounts, progress.accountsEstimate),
    breaches: progress.breaches,
  };
}
