/**
 * `deno task demo`: the whole job on the embedded default. A legacy table of
 * generated messy users, the snapshot, verify, a short summary with a few
 * before → after examples, then the daemon streaming while a generator
 * inserts, renames and deletes users, and verify again.
 */
import type { Config } from "../config.ts";
import {
  changeLegacyUsers,
  createLegacyUsersTable,
  insertLegacyUsers,
} from "../demo/legacy_users.ts";
import { runSync } from "../sync/run_sync.ts";
import pg from "../db/pg.ts";
import { resolveDatabases } from "../db/resolve_databases.ts";
import { runSnapshot } from "../snapshot/run_snapshot.ts";
import { logger } from "../logging/logging.ts";
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
      if (!verified.ok) throw new Error("Cannot finish the demo: verify found breaches");

      const streamed = await streamWhileChanging(client, config, databases);
      const after = await verifyInvariants({
        legacyUrl: url,
        identityUrl: databases.identityUrl,
      }, { legacyTable: config.legacyTable, legacyColumns: config.legacyColumns });
      say(`verify after streaming: ${after.ok ? "every invariant holds" : "BREACHED"}`);
      console.log(JSON.stringify({
        ...summary,
        command: "demo",
        verify_ok: verified.ok && after.ok,
        stream: streamed,
      }));
      if (!after.ok) {
        throw new Error("Cannot finish the demo: verify found breaches after streaming");
      }
    } finally {
      await client.end();
    }
  } finally {
    await databases.close();
  }
}

/** Seconds the demo's generator changes the legacy table while the daemon streams. */
const STREAM_SECONDS = 5;

/**
 * Runs the sync daemon while a generator inserts, renames and deletes legacy
 * users, waits for the identity tables to catch up, and shows what happened.
 */
async function streamWhileChanging(
  client: pg.Client,
  config: Config,
  databases: { legacyUrl: string; identityUrl: string },
): Promise<Record<string, number>> {
  const stop = new AbortController();
  let applied = 0;
  const lags: number[] = [];
  const daemon = runSync({
    config,
    legacyUrl: databases.legacyUrl,
    identityUrl: databases.identityUrl,
    signal: stop.signal,
    onBatch: (batch) => {
      applied += batch.changes;
      const commitTime = batch.checkpoint.lastCommitTime;
      if (commitTime) lags.push(Date.now() - new Date(commitTime).getTime());
    },
  });
  const startedAt = (await client.query("select now() as t")).rows[0].t as Date;
  const { rows: top } = await client.query(
    `select coalesce(max(id), 0)::int8 as id from ${quoted(config)}`,
  );
  let nextId = Number(top[0].id) + 1;
  const totals = { renamed: 0, deleted: 0, inserted: 0 };
  try {
    const until = performance.now() + STREAM_SECONDS * 1_000;
    for (let round = 1; performance.now() < until; round++) {
      const changes = await changeLegacyUsers(client, {
        table: config.legacyTable,
        renames: 20,
        deletes: 5,
        inserts: 25,
        firstNewId: nextId,
        seed: round,
      });
      nextId += 25;
      totals.renamed += changes.renamed;
      totals.deleted += changes.deleted;
      totals.inserted += changes.inserted;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await waitForCatchUp(client, config);
  } finally {
    stop.abort();
    await daemon;
  }
  say(
    `stream: ${totals.inserted} inserts, ${totals.renamed} renames, ${totals.deleted} deletes in ${STREAM_SECONDS} s; ${applied} changes applied`,
  );
  const { rows } = await client.query<{ line: string }>(
    `(select 'new      ' || a.legacy_id || ' → ' || a.username || '  /u/' || a.public_id as line
      from identity.accounts a where a.created_at >= $1 order by a.account_id limit 3)
     union all
     (select 'renamed  ' || h.username || ' → ' || a.username || ' (old name held until ' ||
             to_char(h.held_until, 'YYYY-MM-DD') || ')'
      from identity.username_holds h join identity.accounts a using (account_id)
      where h.reason = 'renamed' and h.created_at >= $1 limit 3)
     union all
     (select 'deleted  ' || a.legacy_id || ' /u/' || a.public_id || ' kept as a tombstone; ' ||
             h.username || ' held until ' || to_char(h.held_until, 'YYYY-MM-DD')
      from identity.accounts a join identity.username_holds h using (account_id)
      where a.status = 'deleted' and h.reason = 'deleted' and h.created_at >= $1 limit 3)`,
    [startedAt],
  );
  for (const row of rows) say(`  ${row.line}`);
  lags.sort((a, b) => a - b);
  const lag = {
    p50_ms: lags[Math.floor(lags.length / 2)] ?? 0,
    max_ms: lags.at(-1) ?? 0,
  };
  say(`  lag from legacy commit to identity commit: p50 ${lag.p50_ms} ms, max ${lag.max_ms} ms`);
  return { ...totals, applied, ...lag };
}

/** Waits until every legacy row has its active account and no active account lacks its row. */
async function waitForCatchUp(client: pg.Client, config: Config): Promise<void> {
  const id = `"${config.legacyColumns.id}"`;
  for (let i = 0; i < 600; i++) {
    const { rows } = await client.query(
      `select (select count(*) from ${quoted(config)} u where not exists (
                 select 1 from identity.accounts a
                 where a.legacy_id = u.${id}::text and a.status = 'active'))
            + (select count(*) from identity.accounts a
               where a.status = 'active' and a.legacy_id is not null
                 and not exists (select 1 from ${
        quoted(config)
      } u where u.${id}::text = a.legacy_id))
            as behind`,
    );
    if (Number(rows[0].behind) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("Cannot finish the demo: the stream did not catch up within a minute");
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
