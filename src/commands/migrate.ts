/** `deno task migrate`: brings the identity schema up to date. */
import type { Config } from "../config.ts";
import { migrate } from "../db/migrate.ts";
import { resolveDatabases } from "../db/resolve_databases.ts";
import { logger } from "../logging/logging.ts";

/** Applies pending migrations to the identity database and prints what it did as JSON. */
export async function migrateCommand(config: Config): Promise<void> {
  const log = logger("migrate");
  const databases = await resolveDatabases(config, {
    onLog: (line) => log.debug("postgres {line}", { line: line.trim() }),
  });
  try {
    const result = await migrate(databases.identityUrl);
    log.info("migrations applied {applied}", { ...result });
    console.log(JSON.stringify({
      command: "migrate",
      applied: result.applied,
      already_applied: result.alreadyApplied,
      embedded: databases.embedded !== undefined,
    }));
  } finally {
    await databases.close();
  }
}
