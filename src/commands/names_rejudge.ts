/**
 * `deno task names:rejudge`: a dry run that lists the existing names the current policy would
 * refuse. It changes nothing: names already claimed stay until an operator acts on the list.
 */
import type { Config } from "../config.ts";
import pg from "../db/pg.ts";
import { resolveDatabases } from "../db/resolve_databases.ts";
import { protectedNames } from "../policy/mod.ts";
import { logger } from "../logging/logging.ts";
import { rejudgeNames } from "../verify/rejudge_names.ts";

/** Prints one JSON line per account the current policy would refuse, then a summary line. */
export async function namesRejudgeCommand(config: Config): Promise<void> {
  const log = logger("names-rejudge");
  const databases = await resolveDatabases(config, {
    onLog: (line) => log.debug("postgres {line}", { line: line.trim() }),
  });
  try {
    const client = new pg.Client({ connectionString: databases.identityUrl });
    await client.connect();
    try {
      const started = performance.now();
      // One snapshot for the whole walk, and the server itself refuses any write.
      await client.query("begin transaction isolation level repeatable read read only");
      const summary = await rejudgeNames(client, {
        protectedNames: protectedNames(config.protectedNames),
        onRefused: (refused) => console.log(JSON.stringify(refused)),
      });
      await client.query("commit");
      console.log(JSON.stringify({
        command: "names:rejudge",
        dry_run: true,
        changed: 0,
        judged: summary.judged,
        would_refuse: summary.refused,
        system_names_skipped: summary.systemNames,
        seconds: Math.round(performance.now() - started) / 1000,
        note:
          "dry run: nothing was changed; accounts keep their names until an operator renames them",
      }));
      log.info("names re-judged: {judged} judged, {refused} would be refused", { ...summary });
    } finally {
      await client.end();
    }
  } finally {
    await databases.close();
  }
}
