/**
 * The daemon with work in flight (issue 13, items 8 and 9): an apply stalled by a lock never lets
 * the slot be confirmed past its first unapplied commit, and SIGTERM in the middle of a legacy
 * transaction bigger than a batch exits 0 promptly, confirmed exactly where its checkpoint is.
 */
import assert from "node:assert/strict";
import { logOf } from "./support/daemon_output.ts";
import pg from "../src/db/pg.ts";
import { compareLsn, parseLsn } from "../src/db/lsn.ts";
import { waitForMirror } from "./support/mirror_state.ts";
import { seedLegacyUsers, spawnSync, verifyDatabase } from "./support/snapshot_fixture.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { waitFor, waitForPhase } from "./support/wait_for.ts";

const SYNC_ENV = { HEARTBEAT_SECONDS: "1", SYNC_BATCH_MS: "50", SNAPSHOT_RANGE_SIZE: "2000" };

async function sql(db: TestDatabase, text: string, values: unknown[] = []) {
  return await withClient(db.url, (client) => client.query(text, values));
}

/** The test's slot as the server sees it, with its walsender's last reply and sent position. */
async function slotOf(db: TestDatabase) {
  const { rows } = await sql(
    db,
    `select r.confirmed_flush_lsn::text as confirmed, r.active, s.reply_time::text as reply,
            s.sent_lsn::text as sent
     from pg_replication_slots r left join pg_stat_replication s on s.pid = r.active_pid
     where r.slot_name = $1`,
    [db.name],
  );
  return rows[0] as {
    confirmed: string;
    active: boolean;
    reply: string | null;
    sent: string | null;
  };
}

/** Whether a session waits for a lock on `identity.accounts` (the daemon's batch, stalled). */
async function applyWaitsOnLock(db: TestDatabase): Promise<boolean> {
  const { rows } = await sql(
    db,
    `select count(*)::int as n from pg_locks
     where relation = 'identity.accounts'::regclass and not granted`,
  );
  return rows[0].n > 0;
}

/** The run's checkpoint. */
async function checkpointOf(db: TestDatabase) {
  const { rows } = await sql(
    db,
    `select last_applied_lsn::text as applied, partial_lsn::text as partial,
            partial_changes::int as partial_changes
     from identity.sync_state where slot_name = $1`,
    [db.name],
  );
  return rows[0] as { applied: string; partial: string | null; partial_changes: number };
}

/** A session holding `identity.accounts` in EXCLUSIVE mode (reads go on, writes wait) until released. */
async function lockAccounts(db: TestDatabase) {
  const client = new pg.Client({ connectionString: db.url });
  client.on("error", () => {});
  await client.connect();
  await client.query("begin");
  await client.query("lock table identity.accounts in exclusive mode");
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await client.query("commit").catch(() => {});
    await client.end().catch(() => {});
  };
  return { release, [Symbol.asyncDispose]: release };
}

/**
 * Stream report rows written more than once for one change: one account, one source transaction,
 * one legacy value. A change applied twice that goes through the policy reports twice.
 */
async function duplicateReportRows(db: TestDatabase): Promise<number> {
  const { rows } = await sql(
    db,
    `select count(*)::int as n from (
       select legacy_id, source_lsn, raw_value from identity.migration_report
       where source = 'stream'
       group by legacy_id, source_lsn, raw_value having count(*) > 1) d`,
  );
  return rows[0].n;
}

/** Sends SIGTERM to `child` and waits for it to exit 0; returns how long it took. */
async function stopCleanly(child: Deno.ChildProcess): Promise<number> {
  const signalled = Date.now();
  child.kill("SIGTERM");
  const status = await child.status;
  assert.equal(status.code, 0);
  return Date.now() - signalled;
}

/** Kills `child` unless it has exited already. */
async function killIfRunning(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // Exited already.
  }
  await child.status;
}

Deno.test("a stalled apply never lets the slot be confirmed past its first unapplied commit, through keep-alives, status updates, heartbeats and other tables' commits", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 2_000, { seed: 21 });
  await sql(
    db,
    "create table other_activity (id bigserial primary key, at timestamptz default now())",
  );
  // Several of every interval in a few seconds: a status update every 700 ms, a keep-alive that
  // asks for a reply after 1 s without one (half of wal_sender_timeout), a heartbeat every second.
  const legacyUrl = new URL(db.url);
  legacyUrl.searchParams.set("options", "-c wal_sender_timeout=2s");
  const env = { ...SYNC_ENV, SYNC_STATUS_MS: "700", LEGACY_DATABASE_URL: legacyUrl.toString() };
  const child = spawnSync(db, env);
  try {
    await waitForPhase(db.url, "streaming", { timeoutMs: 60_000 });
    await sql(db, "insert into users (id, username, created_at) values (800000, 'marker', now())");
    await waitForMirror(db);

    await using lock = await lockAccounts(db);
    // The first unapplied commit: 50 updates and 20 inserts whose names are reported.
    await withClient(db.url, async (client) => {
      await client.query("begin");
      await client.query("update users set display_name = 'stalled ' || id where id <= 50");
      await client.query(
        `insert into users (id, username, created_at)
         select 810000 + g, 'Stalled User ' || g, now() from generate_series(1, 20) g`,
      );
      await client.query("commit");
    });
    await waitFor("the daemon's batch to wait on the lock", () => applyWaitsOnLock(db));

    // Stalled: other tables commit, heartbeats are emitted, the server sends keep-alives with
    // positions past the stalled commit and the daemon answers them and sends status updates.
    let highest = 0n;
    const replies = new Set<string>();
    const observe = async () => {
      const slot = await slotOf(db);
      const confirmed = parseLsn(slot.confirmed);
      if (confirmed > highest) highest = confirmed;
      if (slot.reply) replies.add(slot.reply);
      return slot;
    };
    let writing = true;
    const otherWrites = (async () => {
      while (writing) {
        await sql(db, "insert into other_activity default values");
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    })();
    try {
      const stalledAt = Date.now();
      await waitFor("several keep-alive, status and heartbeat intervals", async () => {
        await observe();
        return Date.now() - stalledAt >= 6_000 && replies.size >= 8;
      }, { timeoutMs: 90_000, intervalMs: 100 });
      // The server has decoded past the stalled commit, other tables' commits included.
      const { rows } = await sql(db, "select pg_current_wal_lsn()::text as lsn");
      const offered = parseLsn(rows[0].lsn);
      const repliesBefore = replies.size;
      await waitFor("the server to send past it and the daemon to answer twice more", async () => {
        const slot = await observe();
        return slot.sent !== null && parseLsn(slot.sent) >= offered &&
          replies.size >= repliesBefore + 2;
      }, { timeoutMs: 60_000, intervalMs: 100 });
    } finally {
      writing = false;
      await otherWrites;
    }
    assert.ok(await applyWaitsOnLock(db), "the apply was stalled the whole time");
    await observe();

    await lock.release();
    await waitForMirror(db, { timeoutMs: 60_000 });
    const { rows: lsns } = await sql(
      db,
      `select distinct source_lsn::text as lsn from identity.accounts
       where legacy_id in (select id::text from users where id <= 50 or id > 810000)`,
    );
    assert.equal(lsns.length, 1, "the stalled transaction's changes share its commit LSN");
    const stalledCommit: string = lsns[0].lsn;
    // A transaction whose commit record starts before the confirmed position is never sent
    // again: confirmed up to its commit LSN it is streamed again, one byte past it is lost.
    assert.ok(
      highest <= parseLsn(stalledCommit),
      `the slot was confirmed at ${
        (await slotOf(db)).confirmed
      } (highest seen ${highest}) past the unapplied commit ${stalledCommit}`,
    );
    // Once applied, it is acknowledged: the slot was held back, not stuck.
    await waitFor(
      "the slot to move past the applied commit",
      async () => compareLsn((await slotOf(db)).confirmed, stalledCommit) > 0,
    );
    const { rows: updated } = await sql(
      db,
      `select count(*)::int as n from identity.accounts
       where legacy_id::bigint <= 50 and display_name = 'stalled ' || legacy_id
         and source_lsn = $1::pg_lsn`,
      [stalledCommit],
    );
    assert.equal(updated[0].n, 50);
    const { rows: reported } = await sql(
      db,
      `select count(*)::int as rows, count(distinct legacy_id)::int as accounts
       from identity.migration_report where source = 'stream' and source_lsn = $1::pg_lsn`,
      [stalledCommit],
    );
    assert.deepEqual(reported[0], { rows: 20, accounts: 20 });
    assert.equal(await duplicateReportRows(db), 0);
    await stopCleanly(child);
  } finally {
    await killIfRunning(child);
  }
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
});

Deno.test("SIGTERM with a legacy transaction bigger than a batch in flight exits 0 within 10 s, confirmed exactly at the last committed batch, and a restart applies the rest once", async () => {
  const rows = 20_000;
  const inserts = 1_000;
  const renamed = 1_000;
  const changes = inserts + 2 * renamed + 2 * rows;
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, rows, { seed: 22 });
  // No batch is cut by time: the small transaction before the big one is applied in the big
  // one's first batch, and nothing is idle from then on, so the acknowledgement is exact. The big
  // one comes whole and is split (streamed in progress, it would be applied at its commit in one
  // target transaction: tests/stream_in_progress_test.ts).
  const first = spawnSync(db, {
    ...SYNC_ENV,
    SYNC_BATCH_MS: "60000",
    LOG_LEVEL: "info",
    SYNC_STREAM_IN_PROGRESS: "false",
  }, { stderr: "piped" });
  const log = logOf(first);
  let stoppedAfter: number;
  let atSignal: Awaited<ReturnType<typeof checkpointOf>>;
  try {
    await waitForPhase(db.url, "streaming", { timeoutMs: 60_000 });
    await sql(
      db,
      "insert into users (id, username, created_at) values (900001, 'just.before', now())",
    );
    // First, in its first batch: inserts, and accounts renamed twice (two changes of one account
    // in one batch go through the policy, so each application writes a report row); then every
    // row changed twice, over several batches.
    await withClient(db.url, async (client) => {
      await client.query("begin");
      await client.query(
        `insert into users (id, username, created_at)
         select 910000 + g, 'Sigterm User ' || g, now() from generate_series(1, ${inserts}) g`,
      );
      for (const step of ["First", "Second"]) {
        await client.query(
          `update users set username = 'Sigterm ${step} ' || id where id <= ${renamed}`,
        );
      }
      await client.query(`update users set display_name = 'pass one ' || id where id <= ${rows}`);
      await client.query(`update users set display_name = 'pass two ' || id where id <= ${rows}`);
      await client.query("commit");
    });
    // Its first batch committed (a checkpoint inside it), the next one held up by a lock: the
    // signal provably lands with a batch of it in flight.
    await waitFor(
      "a first part of it applied",
      async () => (await checkpointOf(db)).partial_changes > 0,
      { timeoutMs: 90_000 },
    );
    await using lock = await lockAccounts(db);
    await waitFor("its next batch in flight", () => applyWaitsOnLock(db), { timeoutMs: 60_000 });
    atSignal = await checkpointOf(db);

    const signalled = Date.now();
    first.kill("SIGTERM");
    // Told to stop while its batch waits: the batch commits once the lock goes.
    await log.waitFor("stopping: committing the batch in flight");
    assert.ok(await applyWaitsOnLock(db), "the batch was still in flight");
    await lock.release();
    const status = await first.status;
    stoppedAfter = Date.now() - signalled;
    assert.equal(status.code, 0, log.lines.slice(-20).join("\n"));
  } finally {
    await killIfRunning(first);
    await log.done;
  }
  assert.ok(stoppedAfter < 10_000, `stopped after ${stoppedAfter} ms`);

  const stopped = await checkpointOf(db);
  const slot = await slotOf(db);
  const { rows: before } = await sql(
    db,
    "select source_lsn::text as lsn from identity.accounts where legacy_id = '900001'",
  );
  // Stopped inside the big transaction: part of it committed, the rest not.
  assert.equal(stopped.partial, atSignal.partial, "the signal landed inside the big transaction");
  assert.ok(
    stopped.partial_changes >= atSignal.partial_changes && stopped.partial_changes < changes,
    `${stopped.partial_changes} of ${changes} changes applied (${atSignal.partial_changes} at the signal)`,
  );
  // Its parts store the end of the last whole transaction (the one just before) and acknowledge
  // nothing more: confirmed past it, the slot would skip the unapplied rest on a restart once
  // past the big transaction's commit; short of it, a committed batch went unacknowledged.
  assert.ok(compareLsn(stopped.applied, before[0].lsn) > 0, "the one before is applied whole");
  assert.ok(compareLsn(stopped.applied, stopped.partial!) < 0, "nothing after it is");
  assert.equal(slot.confirmed, stopped.applied);
  assert.equal(slot.active, false);

  const second = spawnSync(db, { ...SYNC_ENV, SYNC_STREAM_IN_PROGRESS: "false" });
  try {
    await waitForMirror(db, { timeoutMs: 120_000 });
    await waitFor("the checkpoint past the big transaction", async () => {
      const checkpoint = await checkpointOf(db);
      return checkpoint.partial === null && compareLsn(checkpoint.applied, stopped.partial!) > 0;
    });
    await stopCleanly(second);
  } finally {
    await killIfRunning(second);
  }
  const { rows: applied } = await sql(
    db,
    `select count(*) filter (where display_name = 'pass two ' || legacy_id)::int as second_pass,
            count(*) filter (where source_lsn = $1::pg_lsn)::int as at_commit
     from identity.accounts where legacy_id::bigint <= $2 or legacy_id::bigint > 910000`,
    [stopped.partial, rows],
  );
  assert.deepEqual(applied[0], { second_pass: rows, at_commit: rows + inserts });
  const { rows: names } = await sql(
    db,
    `select count(*)::int as n from identity.accounts a join users u on u.id::text = a.legacy_id
     where u.id <= $1 and a.legacy_username = u.username and u.username like 'Sigterm Second %'`,
    [renamed],
  );
  assert.equal(names[0].n, renamed);
  // One report row per insert and per rename (none of these names is taken as it is written).
  const { rows: reported } = await sql(
    db,
    `select count(*) filter (where legacy_id::bigint > 910000)::int as inserted,
            count(*) filter (where raw_value like 'Sigterm First %')::int as first,
            count(*) filter (where raw_value like 'Sigterm Second %')::int as second
     from identity.migration_report where source = 'stream' and source_lsn = $1::pg_lsn`,
    [stopped.partial],
  );
  assert.deepEqual(reported[0], { inserted: inserts, first: renamed, second: renamed });
  assert.equal(await duplicateReportRows(db), 0);
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
});

Deno.test("SIGTERM with a batch that cannot commit rolls it back after the grace, exits 0 within 10 s, and the next start applies it once", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 1_000, { seed: 23 });
  const first = spawnSync(db, { ...SYNC_ENV, LOG_LEVEL: "info" }, { stderr: "piped" });
  const log = logOf(first);
  let stoppedAfter: number;
  let atSignal: Awaited<ReturnType<typeof checkpointOf>>;
  try {
    await waitForPhase(db.url, "streaming", { timeoutMs: 60_000 });
    await using lock = await lockAccounts(db);
    await sql(
      db,
      `insert into users (id, username, created_at)
       select 920000 + g, 'Held User ' || g, now() from generate_series(1, 10) g`,
    );
    await waitFor("its batch in flight", () => applyWaitsOnLock(db));
    atSignal = await checkpointOf(db);
    const signalled = Date.now();
    first.kill("SIGTERM");
    // The lock is held until the daemon has exited: its batch can never commit.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const status = await Promise.race([
      first.status,
      new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), 30_000)),
    ]).finally(() => clearTimeout(timer));
    stoppedAfter = Date.now() - signalled;
    assert.ok(status, "still running 30 s after SIGTERM");
    assert.equal(status.code, 0, log.lines.slice(-20).join("\n"));
    assert.ok(await applyWaitsOnLock(db) === false, "the rolled-back batch waits no more");
    await lock.release();
  } finally {
    await killIfRunning(first);
    await log.done;
  }
  assert.ok(stoppedAfter < 10_000, `stopped after ${stoppedAfter} ms`);
  assert.ok(log.lines.some((line) => line.includes("did not commit within")));
  const stopped = await checkpointOf(db);
  assert.deepEqual(stopped, atSignal, "nothing of the rolled-back batch is stored");
  // Idle before it, the slot may be past the checkpoint (the keep-alive position), never past
  // the rolled-back transaction's commit (checked once the next start has applied it).
  const confirmedAtExit = (await slotOf(db)).confirmed;
  assert.ok(compareLsn(confirmedAtExit, stopped.applied) >= 0);
  const { rows: held } = await sql(
    db,
    "select count(*)::int as n from identity.accounts where legacy_id::bigint > 920000",
  );
  assert.equal(held[0].n, 0);

  const second = spawnSync(db, SYNC_ENV);
  try {
    await waitForMirror(db, { timeoutMs: 60_000 });
    await stopCleanly(second);
  } finally {
    await killIfRunning(second);
  }
  const { rows: lsns } = await sql(
    db,
    "select distinct source_lsn::text as lsn from identity.accounts where legacy_id::bigint > 920000",
  );
  assert.equal(lsns.length, 1);
  assert.ok(
    compareLsn(confirmedAtExit, lsns[0].lsn) <= 0,
    `confirmed ${confirmedAtExit} past the rolled-back commit ${lsns[0].lsn}`,
  );
  const { rows: reported } = await sql(
    db,
    `select count(*)::int as rows, count(distinct legacy_id)::int as accounts
     from identity.migration_report where source = 'stream' and legacy_id::bigint > 920000`,
  );
  assert.deepEqual(reported[0], { rows: 10, accounts: 10 });
  assert.equal(await duplicateReportRows(db), 0);
});
