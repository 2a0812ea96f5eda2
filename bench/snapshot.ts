/**
 * `deno task bench:snapshot --rows N`: the snapshot against what PostgreSQL
 * itself does with the same rows, in one run on a fresh embedded server.
 *
 * 1. The in-database ceiling: one `INSERT … SELECT` into an unindexed copy of
 *    the accounts table (the lower-cased name when it has the right shape, the
 *    oldest account winning by `row_number()`, a plain fallback and a random ID
 *    for the rest), then the unique indexes built.
 * 2. The real snapshot (`deno task snapshot`, a separate process) into empty
 *    identity tables, with its peak RSS read from the kernel.
 *
 * Prints both rates, their ratio and the peak RSS, then one JSON line.
 */
import { parseArgs } from "node:util";
import { createLegacyUsersTable, insertLegacyUsers } from "../src/demo/legacy_users.ts";
import pg from "../src/db/pg.ts";
import { runSnapshotProcess } from "./snapshot_process.ts";
import { startTestServer } from "../tests/support/test_server.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "1000000" },
    workers: { type: "string" },
    "range-size": { type: "string", default: "50000" },
  },
});
const rows = Number(values.rows);
if (!Number.isInteger(rows) || rows < 1) {
  throw new RangeError(
    `Cannot run the benchmark: --rows "${values.rows}" is not a positive integer`,
  );
}

const server = await startTestServer(18);
try {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  say(`generating ${rows.toLocaleString("en")} legacy users…`);
  await createLegacyUsersTable(client);
  await insertLegacyUsers(client, { rows });
  await client.query("vacuum analyze users");

  const ceiling = await inDatabaseMigration(client, rows);
  say(
    `in-database INSERT … SELECT + index build: ${ceiling.seconds.toFixed(2)} s, ${
      rate(rows, ceiling.seconds)
    } rows/s`,
  );
  await client.end();

  const snapshot = await runSnapshotProcess(server.url, {
    SNAPSHOT_RANGE_SIZE: values["range-size"]!,
    ...(values.workers ? { SNAPSHOT_WORKERS: values.workers } : {}),
  });
  say(
    `snapshot (${snapshot.summary.workers} workers): ${snapshot.seconds.toFixed(2)} s, ${
      rate(rows, snapshot.seconds)
    } rows/s, peak RSS ${snapshot.peakRssMb ?? "?"} MB`,
  );
  const ratio = ceiling.seconds / snapshot.seconds;
  say(`ratio snapshot / in-database: ${ratio.toFixed(2)} (target ≥ 0.70)`);
  console.log(JSON.stringify({
    bench: "snapshot",
    rows,
    in_database_seconds: round(ceiling.seconds),
    in_database_rows_per_second: Math.round(rows / ceiling.seconds),
    snapshot_seconds: round(snapshot.seconds),
    snapshot_rows_per_second: Math.round(rows / snapshot.seconds),
    ratio: round(ratio),
    snapshot_peak_rss_mb: snapshot.peakRssMb,
    workers: snapshot.summary.workers,
    fallbacks: snapshot.summary.fallbacks,
  }));
} finally {
  await server.stop();
}

/** The hand-written SQL migration a DBA would write, timed. */
async function inDatabaseMigration(client: pg.Client, rows: number): Promise<{ seconds: number }> {
  await client.query("drop table if exists bench_accounts");
  await client.query(`create table bench_accounts (
    account_id bigint generated always as identity, legacy_id text, public_id text,
    username text collate "C", username_source text, display_name text,
    legacy_created_at timestamptz, created_at timestamptz default now())`);
  await client.query("checkpoint");
  const started = performance.now();
  await client.query(`
    insert into bench_accounts (legacy_id, public_id, username, username_source, display_name,
                                legacy_created_at)
    select id::text, substr(md5(random()::text), 1, 16),
           case when shaped and claim_rank = 1 then name else 'user_' || id end,
           case when shaped and claim_rank = 1 then 'exact' else 'generated' end,
           display_name, created_at
    from (
      select u.*, lower(u.username) as name,
             coalesce(lower(u.username) ~ '^[a-z0-9]+([._][a-z0-9]+)*$'
                      and char_length(u.username) between 3 and 30, false) as shaped,
             row_number() over (partition by lower(u.username) order by u.created_at, u.id)
               as claim_rank
      from users u) ranked`);
  await client.query("create unique index on bench_accounts (username)");
  await client.query("create unique index on bench_accounts (legacy_id)");
  await client.query("create unique index on bench_accounts (public_id)");
  const seconds = (performance.now() - started) / 1_000;
  const { rows: counted } = await client.query("select count(*)::int as n from bench_accounts");
  if (counted[0].n !== rows) throw new Error(`in-database migration wrote ${counted[0].n} rows`);
  await client.query("drop table bench_accounts");
  return { seconds };
}

function rate(rows: number, seconds: number): string {
  return Math.round(rows / seconds).toLocaleString("en");
}

function round(value: number): number {
  return Number(value.toFixed(3));
}

function say(line: string): void {
  console.log(line);
}
