/** `deno task status`: where the run stands, as a table, or JSON with `--json`. */
import type { Config } from "../config.ts";
import { resolveDatabases } from "../db/resolve_databases.ts";
import { BRIEF_SESSION_MS, withClient } from "../db/sessions.ts";
import { migrate } from "../db/migrate.ts";
import { formatStatus } from "../status/format_status.ts";
import { readStatus } from "../status/read_status.ts";

/** Prints the status of the run of the configured slot. */
export async function statusCommand(config: Config): Promise<void> {
  const databases = await resolveDatabases(config);
  try {
    await migrate(databases.identityUrl);
    const brief = { timeoutMs: BRIEF_SESSION_MS };
    const status = await withClient(
      databases.legacyUrl,
      (legacy) =>
        withClient(
          databases.identityUrl,
          (identity) =>
            readStatus({ legacy, identity }, config.replication.slotName, {
              failover: config.replication.slotFailover,
            }),
          brief,
        ),
      brief,
    );
    console.log(config.status.json ? JSON.stringify(status) : formatStatus(status));
  } finally {
    await databases.close();
  }
}
