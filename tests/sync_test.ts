import assert from "node:assert/strict";
import { changeLegacyUsers } from "../src/demo/legacy_users.ts";
import { compareLsn } from "../src/db/lsn.ts";
import {
  runCli,
  seedLegacyUsers,
  spawnSync,
  syncInProcess,
  verifyDatabase,
} from "./support/snapshot_fixture.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { waitFor } from "./support/wait_for.ts";
import { waitForMirror } from "./support/mirror_state.ts";
import { killAfterPartialCheckpoint } from "./support/partial_checkpoint.ts";

const SYNC_ENV = { HEARTBEAT_SECONDS: "1", SYNC_BATCH_MS: "50", SNAPSHOT_RANGE_SIZE: "2000" };

/** The daemon in this process, on `db`; abort `stop` and await `daemon` to end it. */
function startDaemon(db: TestDatabase) {
  return syncInProcess(db, SYNC_ENV);
}

/** `deno task sync` on `db` as a process of its own. */
function spawnDaemon(db: TestDatabase, env: Record<string, string> = SYNC_ENV): Deno.ChildProcess {
  return spawnSync(db, env);
}

/** Sends SIGTERM to `child` and checks that it exits 0 within 10 seconds. */
async function stopsWithin10Seconds(child: Deno.ChildProcess): Promise<void> {
  const stopped = Date.now();
  child.kill("SIGTERM");
  const status = await child.status;
  assert.equal(status.code, 0);
  assert.ok(Date.now() - stopped < 10_000);
}

async function sql(db: TestDatabase, text: string, values: unknown[] = []) {
  return await withClient(db.url, (client) => client.query(text, values));
}

Deno.test("sync streams inserts, renames, deletes and updates made after the snapshot", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 2_000);
  const { stop, daemon } = startDaemon(db);
  try {
    await waitFor(
      "the snapshot",
      async () =>
        (await sql(db, "select phase from identity.sync_state")).rows[0]?.phase === "streaming" ||
        (await sql(db, "select count(*)::int as n from identity.accounts")).rows[0]?.n === 2_000,
    );
    await sql(db, "update users set username = 'stream_renamed' where id = 1");
    await sql(db, "update users set display_name = 'New Display' where id = 2");
    await sql(db, "delete from users where id = 3");
    await sql(
      db,
      "insert into users (id, username, created_at) values (900001, 'fresh.one', now())",
    );
    const before = (await sql(
      db,
      "select username, public_id from identity.accounts where legacy_id = '1'",
    )).rows[0];

    await waitForMirror(db);
    await waitFor(
      "the rename",
      async () =>
        (await sql(db, "select username from identity.accounts where legacy_id = '1'")).rows[0]
          .username === "stream_renamed",
    );

    const renamed = (await sql(
      db,
      "select username, public_id from identity.accounts where legacy_id = '1'",
    )).rows[0];
    assert.equal(renamed.public_id, before.public_id);
    const hold = (await sql(db, "select reason from identity.username_holds where username = $1", [
      before.username,
    ])).rows[0];
    assert.equal(hold?.reason, "renamed");
    const deleted = (await sql(
      db,
      "select status, public_id from identity.accounts where legacy_id = '3'",
    )).rows[0];
    assert.equal(deleted.status, "deleted");
    assert.match(deleted.public_id, /^[6789BCDFGHJKLMNPQRTWbcdfghjkmnpqrtwz]{16}$/);
    const fresh =
      (await sql(db, "select username from identity.accounts where legacy_id = '900001'"))
        .rows[0];
    assert.equal(fresh.username, "fresh.one");
  } finally {
    stop.abort();
    await daemon;
  }
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
});

Deno.test("writes during the snapshot are applied exactly once, and the slot is acknowledged", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 20_000, { seed: 4 });
  const { stop, daemon } = startDaemon(db);
  try {
    // Changes while the snapshot runs, and after.
    let nextId = 1_000_000;
    for (let round = 0; round < 10; round++) {
      await withClient(db.url, (client) =>
        changeLegacyUsers(client, {
          renames: 20,
          deletes: 5,
          inserts: 20,
          firstNewId: nextId,
          seed: round + 1,
        }));
      nextId += 20;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await waitForMirror(db);
  } finally {
    stop.abort();
    await daemon;
  }
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
  const { rows } = await sql(
    db,
    `select s.last_applied_lsn::text as applied, r.confirmed_flush_lsn::text as confirmed
     from identity.sync_state s join pg_replication_slots r on r.slot_name = s.slot_name`,
  );
  // Acknowledged up to what is applied; past it only once idle (the server's keep-alive position).
  assert.ok(
    compareLsn(rows[0].confirmed, rows[0].applied) >= 0,
    `confirmed ${rows[0].confirmed} < applied ${rows[0].applied}`,
  );
});

Deno.test("sync killed with SIGKILL and restarted loses nothing and applies nothing twice", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 3_000, { seed: 9 });
  const start = () => spawnDaemon(db);
  let nextId = 2_000_000;
  let kills = 0;
  for (const delayMs of [400, 900, 1_500, 2_200, 3_000]) {
    const child = start();
    const writes = (async () => {
      for (let i = 0; i < 5; i++) {
        await withClient(db.url, (client) =>
          changeLegacyUsers(client, {
            renames: 10,
            deletes: 3,
            inserts: 10,
            firstNewId: nextId,
            seed: nextId,
          }));
        nextId += 10;
        await new Promise((resolve) => setTimeout(resolve, 80));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    child.kill("SIGKILL");
    await child.status;
    await writes;
    kills++;
  }
  const last = start();
  try {
    // A change only the last daemon can apply: once mirrored, it is streaming.
    await sql(db, "insert into users (id, username, created_at) values (3999999, 'marker', now())");
    await waitForMirror(db);
  } finally {
    last.kill("SIGTERM");
    const status = await last.status;
    assert.equal(status.code, 0);
  }
  assert.equal(kills, 5);
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
  // Applying a change twice would have made a second report row for one rename or a
  // second account: the unique index forbids the latter, verify checks the rest.
});

Deno.test("SIGTERM stops the daemon within 10 seconds with the batch in flight committed and acknowledged", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 1_000);
  const child = spawnDaemon(db);
  await waitFor("streaming", async () => {
    const { rows } = await sql(
      db,
      "select phase from identity.sync_state where phase = 'streaming'",
    ).catch(() => ({ rows: [] }));
    return rows.length > 0;
  });
  await sql(db, "insert into users (id, username, created_at) values (777777, 'last.word', now())");
  await waitForMirror(db);

  await stopsWithin10Seconds(child);
  const { rows } = await sql(
    db,
    `select s.last_applied_lsn::text as applied, r.confirmed_flush_lsn::text as confirmed,
            r.active
     from identity.sync_state s join pg_replication_slots r on r.slot_name = s.slot_name`,
  );
  // Acknowledged up to what is applied; past it only once idle (the server's keep-alive position).
  assert.ok(
    compareLsn(rows[0].confirmed, rows[0].applied) >= 0,
    `confirmed ${rows[0].confirmed} < applied ${rows[0].applied}`,
  );
  assert.equal(rows[0].active, false);
  await runCli(db, ["verify"]).then((result) => assert.equal(result.code, 0, result.stdout));
});

Deno.test("SIGTERM during the daemon's snapshot stops it within 10 seconds, and the next start resumes", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 100_000);
  // Small ranges: the snapshot is stopped with some done, some not.
  const env = { ...SYNC_ENV, SNAPSHOT_RANGE_SIZE: "2000", SNAPSHOT_WORKERS: "1" };
  const child = spawnDaemon(db, env);
  await waitFor("some ranges read", async () => {
    const { rows } = await sql(
      db,
      "select count(*) filter (where status = 'done')::int as done from identity.snapshot_ranges",
    ).catch(() => ({ rows: [] }));
    return (rows[0]?.done ?? 0) > 0;
  });

  await stopsWithin10Seconds(child);
  const { rows } = await sql(
    db,
    `select s.phase, count(*) filter (where r.status = 'done')::int as done, count(*)::int as all
     from identity.sync_state s join identity.snapshot_ranges r using (slot_name)
     group by s.phase`,
  );
  assert.equal(rows[0].phase, "snapshotting");
  assert.ok(rows[0].done < rows[0].all, "stopped before the snapshot finished");

  const second = spawnDaemon(db, env);
  try {
    await waitForMirror(db);
  } finally {
    second.kill("SIGTERM");
    assert.equal((await second.status).code, 0);
  }
  await runCli(db, ["verify"]).then((result) => assert.equal(result.code, 0, result.stdout));
});

Deno.test("a legacy transaction bigger than a batch is split, and a crash in the middle of it loses nothing", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 4_000, { seed: 12 });
  const env = { ...SYNC_ENV, SYNC_BATCH_CHANGES: "500" };
  const start = () => spawnDaemon(db, env);
  const first = start();
  await waitFor(
    "streaming",
    async () =>
      (await sql(db, "select phase from identity.sync_state")).rows[0]?.phase === "streaming",
  );
  // One transaction of 8,000 changes touching every row twice: the second half of the
  // transaction changes rows its first half already did, in other batches.
  await withClient(db.url, async (client) => {
    await client.query("begin");
    await client.query("update users set display_name = 'first pass'");
    await client.query("update users set display_name = 'second pass'");
    await client.query("commit");
  });
  const partial = await killAfterPartialCheckpoint(db, first);

  const second = start();
  try {
    await waitForMirror(db);
  } finally {
    second.kill("SIGTERM");
    assert.equal((await second.status).code, 0);
  }
  const { rows } = await sql(
    db,
    `select count(*) filter (where display_name = 'second pass')::int as done,
            count(*)::int as all from identity.accounts where status = 'active'`,
  );
  assert.ok(partial > 0, "the kill landed after a partial checkpoint");
  assert.equal(rows[0].done, rows[0].all);
  assert.equal(
    (await sql(db, "select partial_lsn from identity.sync_state")).rows[0].partial_lsn,
    null,
  );
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
});
