/**
 * An operator drops the replication slot: the daemon stops with a clear error that says how to
 * recover, and the documented recovery (a new slot name, a snapshot, then sync) keeps every
 * public ID, brings in the accounts created meanwhile and applies to existing accounts the
 * renames, edits and deletes made meanwhile.
 */
import assert from "node:assert/strict";
import {
  accountsOf,
  runCli,
  seedLegacyUsers,
  spawnSync,
  verifyDatabase,
} from "./support/snapshot_fixture.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { waitFor, waitForPhase } from "./support/wait_for.ts";

const SYNC = { HEARTBEAT_SECONDS: "1", SYNC_BATCH_MS: "20" };

function spawnDaemon(db: TestDatabase, env: Record<string, string>) {
  return spawnSync(db, { ...SYNC, ...env }, { stderr: "piped" });
}

/** Changes the display name of `legacyId` once the daemon streams slot `slot`, and waits for it. */
async function roundTrip(db: TestDatabase, slot: string, legacyId: string, displayName: string) {
  await waitForPhase(db.url, "streaming", { slot });
  await withClient(
    db.url,
    (client) =>
      client.query("update users set display_name = $2 where id = $1", [legacyId, displayName]),
  );
  await waitFor(`account ${legacyId} to show "${displayName}"`, async () => {
    const { rows } = await withClient(
      db.url,
      (client) =>
        client.query("select display_name from identity.accounts where legacy_id = $1", [legacyId]),
    );
    return rows[0]?.display_name === displayName;
  });
}

Deno.test("a dropped slot stops the daemon with the recovery to follow, and following it loses nothing", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 500);
  const first = spawnDaemon(db, {});
  await roundTrip(db, db.name, "1", "seen");
  first.kill("SIGTERM");
  assert.equal((await first.output()).code, 0);
  const before = await accountsOf(db);

  // The operator drops the slot; meanwhile legacy users are created, renamed (once to a name
  // another account has), edited and deleted.
  const taken = before.get("8")!.username;
  await withClient(db.url, async (client) => {
    await client.query("select pg_drop_replication_slot($1)", [db.name]);
    await client.query(
      `insert into users (id, username, created_at)
       select 50000 + i, 'gap_user_' || i, now() from generate_series(1, 20) i`,
    );
    await client.query("update users set username = 'gap_renamed_3' where id = 3");
    await client.query("update users set display_name = 'edited in the gap' where id = 4");
    await client.query("delete from users where id = 5");
    await client.query("update users set username = $1 where id = 7", [taken]);
  });
  const stopped = await spawnDaemon(db, {}).output();
  assert.equal(stopped.code, 1);
  const message = new TextDecoder().decode(stopped.stderr);
  assert.match(message, new RegExp(`replication slot "${db.name}" does not exist`));
  assert.match(
    message,
    /set SLOT_NAME and PUBLICATION_NAME to new names, run `deno task snapshot`/,
  );

  const recovery = { SLOT_NAME: `${db.name}_b`, PUBLICATION_NAME: `${db.name}_b` };
  const snapshot = await runCli(db, ["snapshot"], recovery);
  assert.equal(snapshot.code, 0, snapshot.stderr);
  const after = await accountsOf(db);
  for (const [legacyId, account] of before) {
    assert.equal(after.get(legacyId)?.publicId, account.publicId, `public ID of ${legacyId}`);
    if (legacyId === "3" || legacyId === "5") continue;
    assert.deepEqual(after.get(legacyId), account, `account of ${legacyId} changed`);
  }
  for (let i = 1; i <= 20; i++) {
    assert.equal(after.get(String(50_000 + i))?.username, `gap_user_${i}`);
  }
  // What changed in the gap reached the existing accounts, through the policy.
  assert.equal(after.get("3")?.username, "gap_renamed_3");
  assert.equal(after.get("7")?.username, before.get("7")!.username, "a taken name is refused");
  await withClient(db.url, async (client) => {
    const { rows } = await client.query(
      `select legacy_id, status, display_name from identity.accounts
       where legacy_id in ('4', '5') order by legacy_id`,
    );
    assert.equal(rows[0].display_name, "edited in the gap");
    assert.equal(rows[0].status, "active");
    assert.equal(rows[1].status, "deleted");
    const held = await client.query(
      "select username from identity.username_holds where username = $1",
      [before.get("3")!.username],
    );
    assert.equal(held.rowCount, 1, "the old name of a renamed account is held");
  });

  const resumed = spawnDaemon(db, recovery);
  await roundTrip(db, recovery.SLOT_NAME, "2", "again");
  resumed.kill("SIGTERM");
  assert.equal((await resumed.output()).code, 0);
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
});

Deno.test("a re-snapshot tombstones nothing when another run recorded read a different table", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 200);
  assert.equal((await runCli(db, ["snapshot"])).code, 0);
  await withClient(db.url, async (client) => {
    await client.query(
      `insert into identity.sync_state (slot_name, publication_name, legacy_table)
       values ('elsewhere', 'elsewhere', 'public.other_users')`,
    );
    await client.query("delete from users where id = 5");
    await client.query("update users set display_name = 'renewed' where id = 6");
  });

  const recovery = { SLOT_NAME: `${db.name}_b`, PUBLICATION_NAME: `${db.name}_b` };
  const snapshot = await runCli(db, ["snapshot"], recovery);
  assert.equal(snapshot.code, 0, snapshot.stderr);
  const { rows } = await withClient(db.url, (client) =>
    client.query(
      `select legacy_id, status, display_name from identity.accounts
       where legacy_id in ('5', '6') order by legacy_id`,
    ));
  assert.equal(rows[0].status, "active", "an account of a possibly other table was left alone");
  assert.equal(rows[1].display_name, "renewed", "changes to rows it read still apply");
});
