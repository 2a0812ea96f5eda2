import assert from "node:assert/strict";
import pg from "../src/db/pg.ts";
import { standbyApplicationName } from "../src/status/standby_daemons.ts";
import {
  seedLegacyUsers,
  snapshotConfig,
  spawnSync,
  syncInProcess,
  verifyDatabase,
} from "./support/snapshot_fixture.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { waitFor, waitForPhase } from "./support/wait_for.ts";
import { waitForMirror } from "./support/mirror_state.ts";
import { killAfterPartialCheckpoint } from "./support/partial_checkpoint.ts";

/** The daemon's stream starts streaming a transaction in progress past 64 kB of changes. */
const SYNC_ENV = {
  HEARTBEAT_SECONDS: "1",
  SYNC_BATCH_MS: "50",
  SNAPSHOT_RANGE_SIZE: "2000",
  SYNC_DECODING_WORK_MEM: "64kB",
};

/** The daemon in this process, on `db`; abort `stop` and await `daemon` to end it. */
function startDaemon(db: TestDatabase) {
  return syncInProcess(db, SYNC_ENV);
}

async function sql(db: TestDatabase, text: string, values: unknown[] = []) {
  return await withClient(db.url, (client) => client.query(text, values));
}

/** A database with `users` legacy users. */
async function legacyDatabase(users: number): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await seedLegacyUsers(db, users);
  return db;
}

/** Transactions the daemon's slot has streamed in progress so far. */
async function streamedTransactions(db: TestDatabase): Promise<number> {
  const slot = snapshotConfig(db, SYNC_ENV).replication.slotName;
  const { rows } = await sql(
    db,
    "select coalesce(sum(stream_txns), 0)::int as n from pg_stat_replication_slots where slot_name = $1",
    [slot],
  );
  return rows[0].n;
}

async function spooledRows(db: TestDatabase): Promise<number> {
  return (await sql(db, "select count(*)::int as n from identity.stream_spool")).rows[0].n;
}

Deno.test("a transaction streamed in progress is applied at its commit, its rolled-back parts left out", async () => {
  await using db = await legacyDatabase(3_000);
  const { stop, daemon } = startDaemon(db);
  try {
    await waitForPhase(db.url, "streaming");
    await waitForMirror(db);
    const taken = (await sql(db, "select username from users where id = 8")).rows[0].username;
    const before = (await sql(
      db,
      "select legacy_id, public_id, username from identity.accounts where legacy_id in ('5', '8')",
    )).rows;

    // A streamed transaction rolled back whole: nothing of it is applied.
    await withClient(db.url, async (client) => {
      await client.query("begin");
      await client.query("update users set display_name = 'rolled back whole'");
      await client.query("rollback");
    });
    await withClient(db.url, async (client) => {
      await client.query("begin");
      await client.query(
        "update users set display_name = coalesce(display_name, '') || ' streamed'",
      );
      await client.query("savepoint part");
      await client.query("update users set display_name = 'rolled back part' where id <= 100");
      await client.query("rollback to savepoint part");
      await client.query("update users set username = 'streamed_rename' where id = 5");
      await client.query("update users set display_name = 'changed twice' where id = 6");
      await client.query("delete from users where id = 7");
      await client.query(
        `insert into users (id, username, created_at, display_name)
         values (900001, 'fresh.streamed', now(), 'Fresh'), (900002, $1, now(), 'Taken')`,
        [taken],
      );
      await client.query("commit");
    });
    await waitForMirror(db);

    const accounts = new Map(
      (await sql(
        db,
        `select legacy_id, public_id, username, status, display_name from identity.accounts
         where legacy_id in ('5', '6', '7', '8', '900001', '900002')`,
      )).rows.map((row) => [row.legacy_id, row]),
    );
    assert.equal(accounts.get("5").username, "streamed_rename");
    assert.equal(
      accounts.get("5").public_id,
      before.find((row) => row.legacy_id === "5").public_id,
    );
    assert.equal(accounts.get("6").display_name, "changed twice");
    assert.equal(accounts.get("7").status, "deleted");
    assert.equal(accounts.get("900001").username, "fresh.streamed");
    // A name taken by an older account: the new one gets a fallback.
    assert.equal(accounts.get("8").username, before.find((row) => row.legacy_id === "8").username);
    assert.notEqual(accounts.get("900002").username, accounts.get("8").username);
    const rolledBack = await sql(
      db,
      "select count(*)::int as n from identity.accounts where display_name like 'rolled back%'",
    );
    assert.equal(rolledBack.rows[0].n, 0);
    const streamed = await sql(
      db,
      "select count(*)::int as n from identity.accounts where display_name like '% streamed'",
    );
    assert.ok(streamed.rows[0].n > 2_900, `${streamed.rows[0].n} accounts carry the update`);
    // Both large transactions went through the spool, which is empty again.
    await waitFor(
      "both transactions counted as streamed",
      async () => (await streamedTransactions(db)) >= 2,
    );
    await waitFor(
      "the applied transactions' spooled rows deleted",
      async () => (await spooledRows(db)) === 0,
    );
  } finally {
    stop.abort();
    await daemon;
  }
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
});

Deno.test("a daemon stopped while a transaction streams applies it once when started again", async () => {
  await using db = await legacyDatabase(2_000);
  let { stop, daemon } = startDaemon(db);
  const open = new pg.Client({ connectionString: db.url });
  await open.connect();
  try {
    await waitForPhase(db.url, "streaming");
    await waitForMirror(db);
    await open.query("begin");
    await open.query("update users set display_name = coalesce(display_name, '') || ' one'");
    await waitFor("the open transaction spooled", async () => (await spooledRows(db)) > 0);
    stop.abort();
    await daemon;
    // Started again, it streams the open transaction again from its first change.
    ({ stop, daemon } = startDaemon(db));
    await open.query(
      "update users set display_name = display_name || ' two', username = 'again_' || id where id <= 10",
    );
    await open.query("commit");
    await waitForMirror(db);
    const twice = await sql(
      db,
      `select count(*)::int as n from identity.accounts
       where display_name like '% one two' and username like 'again\\_%'`,
    );
    assert.equal(twice.rows[0].n, 10);
    const once = await sql(
      db,
      "select count(*)::int as n from identity.accounts where display_name like '% one'",
    );
    assert.equal(once.rows[0].n, 1_990);
    await waitFor(
      "the applied transactions' spooled rows deleted",
      async () => (await spooledRows(db)) === 0,
    );
  } finally {
    await open.end().catch(() => {});
    stop.abort();
    await daemon;
  }
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
});

Deno.test("a transaction applied in part unstreamed goes on where its checkpoint says when it comes streamed", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 4_000, { seed: 12 });
  const env = { ...SYNC_ENV, SYNC_BATCH_CHANGES: "500" };
  // Not streamed in progress: the transaction comes whole and is split into batches, a partial
  // checkpoint after each.
  const first = spawnSync(db, { ...env, SYNC_STREAM_IN_PROGRESS: "false" });
  await waitForPhase(db.url, "streaming");
  await withClient(db.url, async (client) => {
    await client.query("begin");
    // Inserts first: one passed over that should not be is an account missing for good.
    await client.query(
      `insert into users (id, username, created_at, display_name)
       select 100000 + g, 'wombat_' || g, now(), 'new' from generate_series(1, 3000) g`,
    );
    await client.query("update users set display_name = 'second pass' where id < 100000");
    await client.query("commit");
  });
  const partial = await killAfterPartialCheckpoint(db, first);
  assert.ok(partial > 0, "the kill landed after a partial checkpoint");
  assert.ok(partial < 3_000, "the kill landed among the inserts");

  // Now it streams, and is applied from where the partial checkpoint says.
  const second = spawnSync(db, env);
  try {
    await waitForMirror(db);
    await waitFor(
      "the transaction counted as streamed",
      async () => (await streamedTransactions(db)) >= 1,
    );
  } finally {
    second.kill("SIGTERM");
    assert.equal((await second.status).code, 0);
  }
  const { rows } = await sql(
    db,
    `select count(*) filter (where legacy_id::int < 100000 and display_name = 'second pass'
                               or display_name = 'new'
                                  and username = 'wombat_' || (legacy_id::int - 100000))::int
              as done,
            count(*)::int as all
     from identity.accounts where status = 'active'`,
  );
  assert.equal(rows[0].done, rows[0].all);
  assert.equal(rows[0].all, 7_000);
  assert.equal(
    (await sql(db, "select partial_lsn from identity.sync_state")).rows[0].partial_lsn,
    null,
  );
  assert.equal(await spooledRows(db), 0);
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
});

Deno.test("a second daemon starting while a transaction streams leaves the first one's spool alone", async () => {
  await using db = await legacyDatabase(2_000);
  const first = startDaemon(db);
  const open = new pg.Client({ connectionString: db.url });
  await open.connect();
  let second: ReturnType<typeof startDaemon> | undefined;
  try {
    await waitForPhase(db.url, "streaming");
    await waitForMirror(db);
    await open.query("begin");
    await open.query("update users set display_name = coalesce(display_name, '') || ' kept'");
    // Spooled as far as the server streamed it: the count stays put.
    const spooled = await waitFor("the open transaction spooled", async () => {
      const before = await spooledRows(db);
      await new Promise((resolve) => setTimeout(resolve, 500));
      return before > 0 && before === await spooledRows(db) && before;
    });
    // It finds the slot taken and stands by: it must not have touched the spool on the way.
    second = startDaemon(db);
    const standby = standbyApplicationName(snapshotConfig(db, SYNC_ENV).replication.slotName);
    await waitFor("the second daemon standing by", async () => {
      const { rows } = await sql(
        db,
        "select count(*)::int as n from pg_stat_activity where application_name = $1",
        [standby],
      );
      return rows[0].n > 0;
    });
    assert.equal(await spooledRows(db), spooled);
    await open.query("commit");
    await waitForMirror(db);
    const kept = await sql(
      db,
      "select count(*)::int as n from identity.accounts where display_name like '% kept'",
    );
    assert.equal(kept.rows[0].n, 2_000);
  } finally {
    await open.end().catch(() => {});
    second?.stop.abort();
    first.stop.abort();
    await Promise.all([first.daemon, second?.daemon]);
  }
});
