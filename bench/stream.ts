/**
 * `deno task bench:stream [--rows N] [--steady-seconds S]`: the sync daemon
 * against raw replication decode, in one run on a fresh embedded server.
 *
 * 1. Raw decode: one legacy transaction updating every row (N changes),
 *    consumed from a slot of its own by `pg-logical-replication` doing nothing else.
 * 2. The same burst through the daemon (`deno task sync`, a separate process),
 *    timed until its checkpoint passes the burst, with its peak RSS.
 * 3. Steady load: 2,000 legacy changes a second; end-to-end lag from the legacy
 *    commit to the identity row being visible, p50 and p99.
 */
import { parseArgs } from "node:util";
import { LogicalReplicationService, PgoutputPlugin } from "pg-logical-replication";
import { createLegacyUsersTable, insertLegacyUsers } from "../src/demo/legacy_users.ts";
import pg from "../src/db/pg.ts";
import { peakResidentKb } from "./peak_rss.ts";
import { cpuSeconds } from "./process_cpu.ts";
import { taskV8Flags } from "./project_task.ts";
import { startTestServer } from "../tests/support/test_server.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;
const RAW_SLOT = "bench_raw";
const STEADY_CHANGES_PER_SECOND = 2_000;
const STEADY_TICK_MS = 50;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "1000000" },
    "steady-seconds": { type: "string", default: "60" },
    // The identity tables in a database of their own on the same server: the slot then skips
    // the daemon's own writes instead of decoding them.
    "separate-identity-database": { type: "boolean", default: false },
  },
});
const rows = Number(values.rows);
const steadySeconds = Number(values["steady-seconds"]);

const server = await startTestServer(18);
const identityUrl = values["separate-identity-database"]
  ? withDatabase(server.url, "identity")
  : server.url;
const client = new pg.Client({ connectionString: server.url });
const identityClient = new pg.Client({ connectionString: identityUrl });
let daemon: Deno.ChildProcess | undefined;
try {
  await client.connect();
  if (identityUrl !== server.url) await client.query("create database identity");
  await identityClient.connect();
  say(`generating ${rows.toLocaleString("en")} legacy users and snapshotting them…`);
  await createLegacyUsersTable(client);
  await insertLegacyUsers(client, { rows });
  await client.query("vacuum analyze users");
  await run(["snapshot"], { SNAPSHOT_RANGE_SIZE: "50000" });
  await client.query("select pg_create_logical_replication_slot($1, 'pgoutput')", [RAW_SLOT]);

  say(`burst: one transaction updating ${rows.toLocaleString("en")} rows…`);
  await client.query("update users set display_name = coalesce(display_name, '') || '+'");
  // A marker committed right after the burst: once the daemon shows it, the burst is applied.
  // (pg_current_wal_lsn() read after the burst can lie past the burst's commit, and the daemon's
  // checkpoint only moves with the next legacy commit.)
  const marker = String((await client.query("select min(id) as id from users")).rows[0].id);
  await client.query("update users set display_name = 'burst applied' where id = $1", [marker]);

  const raw = await rawDecode(server.url, rows);
  say(`raw decode: ${raw.seconds.toFixed(2)} s, ${rate(rows, raw.seconds)} changes/s`);

  const pg0 = cpuSeconds((c) => c.startsWith("postgres"));
  const started = performance.now();
  daemon = spawnDaemon();
  let peakKb = 0;
  await waitFor(async () => {
    peakKb = Math.max(peakKb, peakResidentKb(daemon!.pid) ?? 0);
    return await burstApplied(marker);
  });
  const applySeconds = (performance.now() - started) / 1_000;
  const postgresCpu = cpuSeconds((command) => command.startsWith("postgres")) - pg0;
  const daemonCpu = cpuSeconds((command) => command.includes("main.ts sync"));
  say(
    `daemon: ${applySeconds.toFixed(2)} s, ${rate(rows, applySeconds)} changes/s, peak RSS ${
      Math.round(peakKb / 1024)
    } MB (start-up included); CPU: daemon ${daemonCpu.toFixed(1)} s, PostgreSQL ${
      postgresCpu.toFixed(1)
    } s`,
  );
  const ratio = raw.seconds / applySeconds;
  say(`ratio daemon / raw decode: ${ratio.toFixed(2)} (target ≥ 0.50)`);

  // The burst left a dead version of every row on both sides; clear them first, so that the
  // steady phase measures the stream rather than autovacuum catching up on the burst.
  await client.query("vacuum users");
  await identityClient.query("vacuum identity.accounts");
  const lag = await steadyLoad(steadySeconds, () => {
    peakKb = Math.max(peakKb, peakResidentKb(daemon!.pid) ?? 0);
  });
  say(
    `steady ${STEADY_CHANGES_PER_SECOND}/s for ${steadySeconds} s: lag p50 ${lag.p50} ms, p99 ${lag.p99} ms (target p99 ≤ 500 ms)`,
  );
  console.log(JSON.stringify({
    bench: "stream",
    rows,
    separate_identity_database: identityUrl !== server.url,
    raw_decode_seconds: round(raw.seconds),
    raw_decode_changes_per_second: Math.round(rows / raw.seconds),
    daemon_seconds: round(applySeconds),
    daemon_changes_per_second: Math.round(rows / applySeconds),
    ratio: round(ratio),
    daemon_peak_rss_mb: Math.round(peakKb / 1024),
    daemon_cpu_seconds: round(daemonCpu),
    postgres_cpu_seconds: round(postgresCpu),
    steady_changes_per_second: STEADY_CHANGES_PER_SECOND,
    steady_lag_p50_ms: lag.p50,
    steady_lag_p99_ms: lag.p99,
  }));
} finally {
  if (daemon) {
    daemon.kill("SIGTERM");
    await daemon.status;
  }
  await client.end().catch(() => {});
  await identityClient.end().catch(() => {});
  await server.stop();
}

/** Consumes the burst from the raw slot, decoding and discarding every message. */
async function rawDecode(url: string, expected: number): Promise<{ seconds: number }> {
  const service = new LogicalReplicationService({ connectionString: url }, {
    acknowledge: { auto: false, timeoutSeconds: 0 },
    flowControl: { enabled: true },
  });
  const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: ["identity_sync"] });
  let changes = 0;
  const started = performance.now();
  const done = new Promise<void>((resolve) => {
    service.on("data", (_lsn: string, message: { tag: string }) => {
      if (message.tag === "update") changes++;
      if (message.tag === "commit" && changes >= expected) resolve();
    });
    service.on("heartbeat", async (lsn: string, _time: number, reply: boolean) => {
      if (reply) await service.acknowledge(lsn);
    });
  });
  service.subscribe(plugin, RAW_SLOT).catch(() => {});
  await done;
  const seconds = (performance.now() - started) / 1_000;
  await service.stop().catch(() => {});
  return { seconds };
}

/** Commits a marker with every batch of updates and times when the identity side shows it. */
async function steadyLoad(seconds: number, sample: () => void) {
  const writer = new pg.Client({ connectionString: server.url });
  const reader = new pg.Client({ connectionString: identityUrl });
  await Promise.all([writer.connect(), reader.connect()]);
  const perTick = Math.round(STEADY_CHANGES_PER_SECOND * STEADY_TICK_MS / 1_000);
  const committed = new Map<number, number>();
  const lags: number[] = [];
  let stop = false;
  const poll = (async () => {
    let seen = 0;
    while (!stop || seen < committed.size) {
      const { rows } = await reader.query(
        "select display_name from identity.accounts where legacy_id = '1'",
      );
      const tick = Number(/^tick (\d+)$/.exec(rows[0]?.display_name ?? "")?.[1] ?? 0);
      const now = performance.now();
      for (let t = seen + 1; t <= tick; t++) lags.push(now - committed.get(t)!);
      seen = Math.max(seen, tick);
      sample();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  const until = performance.now() + seconds * 1_000;
  for (let tick = 1; performance.now() < until; tick++) {
    const next = performance.now() + STEADY_TICK_MS;
    await writer.query(
      `with picked as (select (1 + floor(random() * $1))::int8 as id from generate_series(1, $2))
       update users set display_name = 'steady ' || $3 where id in (select id from picked)`,
      [rows, perTick - 1, tick],
    );
    await writer.query("update users set display_name = 'tick ' || $1 where id = 1", [tick]);
    committed.set(tick, performance.now());
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
  }
  stop = true;
  await poll;
  await Promise.all([writer.end(), reader.end()]);
  lags.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(lags[Math.min(lags.length - 1, Math.floor(q * lags.length))]!);
  return { p50: at(0.5), p99: at(0.99) };
}

function spawnDaemon(): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...taskV8Flags("sync"),
      MAIN,
      "sync",
    ],
    env: {
      LEGACY_DATABASE_URL: server.url,
      OPS_HTTP_PORT: "0",
      API_HTTP_PORT: "0",
      IDENTITY_DATABASE_URL: identityUrl,
      LOG_LEVEL: Deno.env.get("LOG_LEVEL") ?? "warning",
    },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
}

async function run(args: string[], env: Record<string, string>): Promise<void> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: {
      LEGACY_DATABASE_URL: server.url,
      OPS_HTTP_PORT: "0",
      API_HTTP_PORT: "0",
      IDENTITY_DATABASE_URL: identityUrl,
      LOG_LEVEL: "warning",
      ...env,
    },
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`${args.join(" ")} failed with exit code ${output.code}`);
}

async function burstApplied(legacyId: string): Promise<boolean> {
  const { rows } = await identityClient.query(
    "select display_name from identity.accounts where legacy_id = $1",
    [legacyId],
  );
  return rows[0]?.display_name === "burst applied";
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** `url` with another database name. */
function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function rate(count: number, seconds: number): string {
  return Math.round(count / seconds).toLocaleString("en");
}

function round(value: number): number {
  return Number(value.toFixed(3));
}

function say(line: string): void {
  console.log(line);
}
