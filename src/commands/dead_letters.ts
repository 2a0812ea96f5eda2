/** `deno task dead-letters`: lists unresolved dead letters; `--retry` applies them again first. */
import type { Config } from "../config.ts";
import { countDeadLetters, listDeadLetters } from "../apply/dead_letters.ts";
import { retryDeadLetters, type RetryResult } from "../apply/retry_dead_letters.ts";
import pg from "../db/pg.ts";
import { resolveDatabases } from "../db/resolve_databases.ts";
import { cryptoRandom, protectedNames } from "../policy/mod.ts";
import { logger } from "../logging/logging.ts";

/** Dead letters printed at most; the count says how many there are. */
const LISTED = 1_000;

/** Prints one JSON report: the retry's outcome (with `--retry`) and the unresolved dead letters. */
export async function deadLettersCommand(config: Config): Promise<void> {
  const log = logger("dead-letters");
  const databases = await resolveDatabases(config, {
    onLog: (line) => log.debug("postgres {line}", { line: line.trim() }),
  });
  try {
    const client = new pg.Client({ connectionString: databases.identityUrl });
    await client.connect();
    try {
      let retry: RetryResult | undefined;
      if (config.deadLetters.retry) {
        await client.query("begin");
        try {
          retry = await retryDeadLetters(client, {
            random: cryptoRandom,
            protectedNames: protectedNames(config.protectedNames),
            holdDays: config.sync.holdDays,
          });
          await client.query("commit");
        } catch (error) {
          await client.query("rollback");
          throw error;
        }
        log.info("dead letters retried: {resolved} resolved, {failed} failed", { ...retry });
      }
      const unresolved = await countDeadLetters(client);
      const letters = await listDeadLetters(client, { limit: LISTED });
      console.log(JSON.stringify({
        command: "dead-letters",
        ...(retry && {
          retry: {
            retried: retry.retried,
            resolved: retry.resolved,
            failed: retry.failed,
            not_retryable: retry.notRetryable,
            outcomes: retry.stats,
          },
        }),
        unresolved,
        dead_letters: letters.map((letter) => ({
          dead_letter_id: letter.deadLetterId,
          lsn: letter.lsn,
          legacy_id: letter.legacyId,
          operation: letter.operation,
          payload: letter.payload,
          error: letter.error,
          attempts: letter.attempts,
          first_failed_at: letter.firstFailedAt,
          last_failed_at: letter.lastFailedAt,
        })),
      }));
    } finally {
      await client.end();
    }
  } finally {
    await databases.close();
  }
}
