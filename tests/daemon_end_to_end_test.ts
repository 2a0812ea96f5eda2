/**
 * What the stream and apply tests show in parts, through the whole daemon (`deno task sync` as a
 * process): an unchanged TOAST value keeps its value, a truncate loses no account, and a single
 * legacy transaction of a million changes is applied once each within the memory bound
 * (issue 13, item 12). `deno task test:big` runs the large transaction at a million changes.
 */
import assert from "node:assert/strict";
import { seedLegacyUsers, snapshotEnv, verifyDatabase } from "./support/snapshot_fixture.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { freePort } from "./support/test_server.ts";
import { storedDisplayName } from "./support/stored_display_name.ts";
import { waitFor, waitForPhase } from "./support/wait_for.ts";

/** The README's bound on the daemon's peak RSS through a single large transaction. */
const PEAK_RSS_BOUND_MB = 300;

async function sql(db: TestDatabase, text: string, values: unknown[] = []) {
  return await withClient(db.url, (client) => client.query(text, values));
}

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

/** The V8 flags `deno task sync` runs the daemon with: its memory bound is theirs. */
async function syncTaskV8Flags(): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const task = config.tasks.sync;
  const command: string = typeof task === "string" ? task : task.command;
  const flags = /--v8-flags=\S+/.exec(command);
  assert.ok(flags, `deno task sync sets V8 flags: ${command}`);
  return flags[0];
}

/** The daemon as `deno task sync` runs it, on `db`, serving metrics on a port of its own. */
async function startDaemon(db: TestDatabase, env: Record<string, string> = {}) {
  const port = freePort();
  const daemon = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", await syncTaskV8Flags(), MAIN, "sync"],
    env: snapshotEnv(db, {
      HEARTBEAT_SECONDS: "1",
      SYNC_BATCH_MS: "50",
      OPS_HTTP_PORT: String(port),
      ...env,
    }),
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitForPhase(db.url, "streaming", { slot: db.name });
  return { daemon, port };
}

/** The daemon's `identity_sync_events_applied_total` by `op`. */
async function eventsApplied(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const events: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const match = /^identity_sync_events_applied_total\{.*op="([a-z_]+)".*\} (\d+)/.exec(line);
    if (match) events[match[1]!] = (events[match[1]!] ?? 0) + Number(match[2]);
  }
  return events;
}

/** The peak resident set of process `pid` so far, in MB (Linux). */
async function peakRssMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = /VmHWM:\s+(\d+) kB/.exec(status);
  assert.ok(kb, "VmHWM in /proc/<pid>/status");
  return Number(kb[1]) / 1024;
}

Deno.test("through the daemon: an unchanged TOAST value keeps its value, and a truncate loses no account", async (t) => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 50);
  // 40,000 hex digits of md5s: out of line even compressed, so PostgreSQL stores it in TOAST.
  const bio = `(select string_agg(md5(g::text), '') from generate_series(1, 1250) g)`;
  await sql(db, `update users set display_name = ${bio} where id = 1`);
  const { daemon } = await startDaemon(db);
  const stored = storedDisplayName(
    (await sql(db, "select display_name from users where id = 1")).rows[0].display_name,
  );

  await t.step("an update of another column leaves the stored display name alone", async () => {
    // Stored out of line: its chunks are in the table's TOAST relation.
    const { rows: toast } = await sql(
      db,
      "select reltoastrelid::regclass::text as name from pg_class where oid = 'users'::regclass",
    );
    const { rows: chunks } = await sql(db, `select count(*)::int as n from ${toast[0].name}`);
    assert.ok(chunks[0].n > 0, "the display name is in TOAST");
    await sql(db, "update users set created_at = '2001-01-01T00:00:00Z' where id = 1");
    await waitFor("the creation time to arrive", async () =>
      (await sql(
        db,
        "select legacy_created_at = '2001-01-01T00:00:00Z' as done from identity.accounts where legacy_id = '1'",
      )).rows[0].done);
    const { rows } = await sql(
      db,
      "select display_name from identity.accounts where legacy_id = '1'",
    );
    assert.equal(rows[0].display_name, stored);
    assert.equal(rows[0].display_name.length, 256);
  });

  await t.step("a truncate: no account lost, one dead letter, and the stream goes on", async () => {
    const { rows: before } = await sql(
      db,
      "select count(*)::int as n from identity.accounts where status = 'active'",
    );
    await sql(db, "truncate users");
    await sql(db, "insert into users (id, username) values (777777, 'after_the_truncate')");
    await waitFor(
      "the insert after the truncate",
      async () =>
        (await sql(db, "select 1 from identity.accounts where legacy_id = '777777'")).rowCount ===
          1,
    );
    const { rows: after } = await sql(
      db,
      "select count(*)::int as n from identity.accounts where status = 'active'",
    );
    assert.equal(after[0].n, before[0].n + 1);
    const { rows: letters } = await sql(
      db,
      "select legacy_id, error from identity.dead_letters where resolved_at is null",
    );
    assert.equal(letters.length, 1);
    assert.equal(letters[0].legacy_id, null);
    assert.match(letters[0].error, /truncate/);
  });

  daemon.kill("SIGTERM");
  assert.equal((await daemon.status).code, 0);
});

Deno.test("through the daemon: one legacy transaction of ten changes per row, each applied once, memory bounded", async () => {
  // Ten changes per row: 200,000 in the normal suite; `deno task test:big` runs a million.
  const rows = Number(Deno.env.get("BIG_TRANSACTION_ROWS") ?? "20000");
  const passes = 10;
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, rows, { seed: 7 });
  const { daemon, port } = await startDaemon(db, { SYNC_BATCH_CHANGES: "5000" });
  const baseline = await eventsApplied(port);
  const afterSnapshot = await peakRssMb(daemon.pid);
  // The peak from here on is the stream's: Linux resets the high-water mark on "5".
  await Deno.writeTextFile(`/proc/${daemon.pid}/clear_refs`, "5");

  // Nine passes of display names and one of renames, in one transaction.
  await withClient(db.url, async (client) => {
    await client.query("begin");
    for (let pass = 1; pass < passes; pass++) {
      await client.query(`update users set display_name = 'pass ${pass} of ' || id`);
    }
    await client.query("update users set username = 'moved_' || id");
    await client.query("commit");
  });
  const { rows: lsn } = await sql(db, "select pg_current_wal_lsn()::text as lsn");

  await waitFor("the transaction to be applied and acknowledged", async () =>
    (await sql(
      db,
      `select confirmed_flush_lsn >= $2::pg_lsn as done from pg_replication_slots
       where slot_name = $1`,
      [db.name, lsn[0].lsn],
    )).rows[0].done, { timeoutMs: 600_000 });
  const peak = await peakRssMb(daemon.pid);
  const events = await eventsApplied(port);
  daemon.kill("SIGTERM");
  assert.equal((await daemon.status).code, 0);

  const delta = (op: string) => (events[op] ?? 0) - (baseline[op] ?? 0);
  assert.equal(delta("update"), (passes - 1) * rows, JSON.stringify(events));
  assert.equal(delta("rename") + delta("rename_refused"), rows, JSON.stringify(events));
  assert.equal(delta("skip"), 0, "nothing applied twice, nothing replayed");
  assert.equal(delta("dead_letter"), 0);
  const { rows: mirrored } = await sql(
    db,
    `select count(*) filter (where a.display_name = 'pass ${passes - 1} of ' || u.id)::int as done,
            count(*) filter (where a.legacy_username = 'moved_' || u.id)::int as renamed,
            count(*)::int as all
     from users u join identity.accounts a on a.legacy_id = u.id::text`,
  );
  assert.deepEqual(mirrored[0], { done: rows, renamed: rows, all: rows });
  assert.ok(
    peak <= PEAK_RSS_BOUND_MB,
    `daemon peak RSS ${peak.toFixed(0)} MB while streaming (${afterSnapshot.toFixed(0)} MB before)`,
  );
  console.log(
    `${passes * rows} changes in one transaction: daemon peak RSS ${peak.toFixed(0)} MB (${
      afterSnapshot.toFixed(0)
    } MB through its snapshot of ${rows} rows)`,
  );
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
});
