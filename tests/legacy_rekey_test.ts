/**
 * A legacy primary-key change, end to end: the person keeps their account (public ID, username,
 * profile URL) under the new key, through the streaming daemon and through the snapshot that
 * recovers from a lost slot. Issue 13, item 1.
 */
import assert from "node:assert/strict";
import { startApi } from "./support/account_api.ts";
import {
  accountsOf,
  runCli,
  seedLegacyUsers,
  spawnSync,
  verifyDatabase,
} from "./support/snapshot_fixture.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { waitFor, waitForPhase } from "./support/wait_for.ts";

async function rekeys(db: TestDatabase): Promise<string[]> {
  const { rows } = await withClient(db.url, (client) =>
    client.query(
      `select old_legacy_id || '→' || new_legacy_id || ' ' || source as rekey
       from identity.legacy_rekeys order by rekey_id`,
    ));
  return rows.map((row) => row.rekey);
}

async function tombstones(db: TestDatabase): Promise<string[]> {
  const { rows } = await withClient(db.url, (client) =>
    client.query(
      "select legacy_id from identity.accounts where status = 'deleted' order by legacy_id",
    ));
  return rows.map((row) => row.legacy_id);
}

Deno.test("the daemon re-keys an account whose legacy key changed: same public ID, name and profile URL", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 200);
  const daemon = spawnSync(db, { HEARTBEAT_SECONDS: "1", SYNC_BATCH_MS: "20" });
  await waitForPhase(db.url, "streaming", { slot: db.name });
  const before = await accountsOf(db);

  await withClient(db.url, async (client) => {
    await client.query("begin");
    await client.query("update users set id = 100020 where id = 20");
    await client.query("update users set id = 100021, username = 'rekeyed_renamed' where id = 21");
    // Two rows swap keys through a third.
    await client.query("update users set id = 1000 where id = 30");
    await client.query("update users set id = 30 where id = 31");
    await client.query("update users set id = 31 where id = 1000");
    await client.query("commit");
    await client.query("insert into users (id, username) values (99999, 'rekey_marker')");
  });
  await waitFor("the marker row to arrive", async () => (await accountsOf(db)).has("99999"));

  const after = await accountsOf(db);
  assert.deepEqual(after.get("100020"), before.get("20"));
  assert.equal(after.has("20"), false);
  assert.equal(after.get("100021")?.publicId, before.get("21")!.publicId);
  assert.equal(after.get("100021")?.username, "rekeyed_renamed");
  assert.deepEqual(after.get("31"), before.get("30"));
  assert.deepEqual(after.get("30"), before.get("31"));
  assert.equal(after.has("1000"), false);
  assert.deepEqual(await tombstones(db), [], "a re-key tombstones nobody");
  assert.deepEqual(await rekeys(db), [
    "20→100020 stream",
    "21→100021 stream",
    "30→1000 stream",
    "31→30 stream",
    "1000→31 stream",
  ]);
  {
    // The old profile URL (by public ID) still resolves, to the same person.
    await using api = await startApi(db);
    const profile = await api.call("GET", `/v1/accounts/${before.get("20")!.publicId}`);
    assert.equal(profile.status, 200);
    assert.equal(profile.body.username, before.get("20")!.username);
  }

  daemon.kill("SIGTERM");
  assert.equal((await daemon.output()).code, 0);
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
});

Deno.test("the snapshot that recovers a lost slot re-keys a moved row it can match, and only then", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 200);
  assert.equal((await runCli(db, ["snapshot"])).code, 0);
  const before = await accountsOf(db);
  await withClient(db.url, async (client) => {
    await client.query("select pg_drop_replication_slot($1)", [db.name]);
    // Moved while no slot streamed: one row as it was; one renamed as well, which no snapshot can
    // tell from a deletion and a new user.
    await client.query("update users set id = 140040 where id = 40");
    await client.query(
      "update users set id = 140041, username = 'moved_and_renamed' where id = 41",
    );
  });

  const recovery = { SLOT_NAME: `${db.name}_b`, PUBLICATION_NAME: `${db.name}_b` };
  const snapshot = await runCli(db, ["snapshot"], recovery);
  assert.equal(snapshot.code, 0, snapshot.stderr);

  const after = await accountsOf(db);
  assert.deepEqual(after.get("140040"), before.get("40"));
  assert.equal(after.has("40"), false);
  assert.deepEqual(await rekeys(db), ["40→140040 snapshot"]);
  assert.notEqual(after.get("140041")?.publicId, before.get("41")!.publicId);
  assert.deepEqual(await tombstones(db), ["41"]);
  for (const [legacyId, account] of before) {
    if (legacyId === "40" || legacyId === "41") continue;
    assert.deepEqual(after.get(legacyId), account, `account of ${legacyId}`);
  }
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
});
