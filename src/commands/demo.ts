/**
 * `deno task demo`: the whole job on the embedded default. A legacy table of
 * generated messy users, the snapshot, verify, and a short summary with a few
 * before → after examples.
 */
import type { Config } from "../config.ts";
import { createLegacyUsersTable, insertLegacyUsers } from "../demo/legacy_users.ts";
import pg from "../db/pg.ts";
import { resolveDatabases } from "../db/resolve_databases.ts";
import { runSnapshot } from "../snapshot/run_snapshot.ts";
import { logger } from "../telemetry/logging.ts";
import { verifyInvariants } from "../verify/verify_invariants.ts";
import { snapshotSummary } from "./snapshot.ts";

/** Examples shown per reason code, at most. */
const EXAMPLE_REASONS = 8;

/** Runs the demo on the embedded default and prints what happened. */
export async function demoCommand(config: Config): Promise<void> {
  if (config.legacyDatabaseUrl) {
    throw new Error(
      "Cannot run the demo: it drops and recreates the legacy table and the identity schema, so it runs only on the embedded default; unset LEGACY_DATABASE_URL",
    );
  }
  const log = logger("demo");
  const databases = await resolveDatabases(config, {
    onLog: (line) => log.debug("postgres {line}", { line: line.trim() }),
  });
  try {
    const url = databases.legacyUrl;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await resetDemo(client, config);
      const started = performance.now();
      await createLegacyUsersTable(client, { table: config.legacyTable });
      await insertLegacyUsers(client, { rows: config.demo.rows, table: config.legacyTable });
      await client.query(`analyze ${quoted(config)}`);
      say(
        `legacy table ${config.legacyTable.schema}.${config.legacyTable.name}: ${
          config.demo.rows.toLocaleString("en")
        } generated users in ${seconds(started)} s`,
      );

      const outcome = await runSnapshot({
        config,
        legacyUrl: url,
        identityUrl: databases.identityUrl,
        progress: true,
      });
      const summary = snapshotSummary(outcome, config);
      say(
        `snapshot: ${outcome.counts?.rows.toLocaleString("en")} accounts in ${
          outcome.seconds.toFixed(1)
        } s (${
          Math.round(outcome.rowsRead / outcome.seconds).toLocaleString("en")
        } rows/s, ${outcome.workers} workers)`,
      );
      if (outcome.counts) {
        const { claimed, fallbacks, reasons } = outcome.counts;
        say(
          `  own name: ${claimed.exact.toLocaleString("en")} exact, ${
            claimed.normalized.toLocaleString("en")
          } normalized, ${claimed.derived.toLocaleString("en")} derived; fallback: ${
            fallbacks.toLocaleString("en")
          }`,
        );
        say(
          `  top reasons: ${
            Object.entries(reasons).slice(0, 8).map(([r, n]) => `${r} ${n.toLocaleString("en")}`)
              .join(", ")
          }`,
        );
      }

      const verified = await verifyInvariants({
        legacyUrl: url,
        identityUrl: databases.identityUrl,
      }, { legacyTable: config.legacyTable, legacyColumns: config.legacyColumns });
      const breaches = Object.entries(verified.breaches).filter(([, n]) => n > 0);
      say(
        `verify: ${
          verified.ok ? "every invariant holds" : `BREACHED ${JSON.stringify(breaches)}`
        } (${verified.legacyRows.toLocaleString("en")} legacy rows, ${
          verified.accounts.toLocaleString("en")
        } accounts, ${verified.seconds.toFixed(1)} s)`,
      );

      say("examples (legacy value → username, why):");
      for (const example of await examples(client)) say(`  ${example}`);
      console.log(JSON.stringify({ ...summary, command: "demo", verify_ok: verified.ok }));
      if (!verified.ok) throw new Error("Cannot finish the demo: verify found breaches");
    } finally {
      await client.end();
    }
  } finally {
    await databases.close();
  }
}

/** Forgets the previous demo: its slot, publication, identity schema and legacy table. */
async function resetDemo(client: pg.Client, config: Config): Promise<void> {
  const { slotName, publicationName } = config.replication;
  await client.query(
    "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1",
    [slotName],
  );
  await client.query(`drop publication if exists "${publicationName}"`);
  await client.query("drop schema if exists identity cascade");
  await client.query(`drop table if exists ${quoted(config)}`);
}

/** A few accounts per reason, and a few kept exactly, as readable lines. */
async function examples(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ raw_value: string | null; username: string; why: string }>(
    `(select distinct on (r.reasons[1]) r.raw_value, r.username,
             r.decision || ': ' || array_to_string(r.reasons, ', ') as why
      from identity.migration_report r
      where cardinality(r.reasons) > 0
      order by r.reasons[1], r.report_id
      limit $1)
     union all
     (select a.username, a.username, 'kept exactly' from identity.accounts a
      where a.username_source = 'exact' order by a.account_id limit 2)`,
    [EXAMPLE_REASONS],
  );
  return rows.map((r) =>
    `${r.raw_value === null ? "NULL" : `"${r.raw_value}"`} → ${r.username} (${r.why})`
  );
}

function quoted(config: Config): string {
  return `"${config.legacyTable.schema}"."${config.legacyTable.name}"`;
}

function seconds(started: number): string {
  return ((performance.now() - started) / 1_000).toFixed(1);
}

function say(line: string): void {
  console.log(line);
}
