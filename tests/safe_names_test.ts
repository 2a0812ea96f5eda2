import assert from "node:assert/strict";
import { usernameSkeleton } from "../src/policy/mod.ts";
import { runSnapshot } from "../src/snapshot/run_snapshot.ts";
import { runCli, snapshotConfig, verifyDatabase } from "./support/snapshot_fixture.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";

async function legacyUsers(db: TestDatabase, rows: [number, string][]): Promise<void> {
  await withClient(db.url, async (client) => {
    await client.query(
      "create table users (id bigint primary key, username text, created_at timestamptz, display_name text)",
    );
    for (const [id, username] of rows) {
      await client.query("insert into users values ($1, $2, '2010-01-01', null)", [id, username]);
    }
  });
}

async function rows<T>(db: TestDatabase, sql: string): Promise<T[]> {
  return await withClient(db.url, async (client) => (await client.query(sql)).rows);
}

Deno.test("the snapshot grandfathers its own look-alike claims and names the protected name it refused", async () => {
  await using db = await createTestDatabase();
  await legacyUsers(db, [[1, "bob"], [2, "b0b"], [3, "adm1n"]]);

  await runSnapshot({ config: snapshotConfig(db), legacyUrl: db.url, identityUrl: db.url });

  const accounts = await rows<{ legacy_id: string; username: string; username_source: string }>(
    db,
    "select legacy_id, username, username_source from identity.accounts order by legacy_id",
  );
  // Both legacy claims were made by the snapshot: neither is a new claim against the other.
  assert.deepEqual(accounts.slice(0, 2), [
    { legacy_id: "1", username: "bob", username_source: "exact" },
    { legacy_id: "2", username: "b0b", username_source: "exact" },
  ]);
  assert.equal(accounts[2]!.username_source, "generated");
  const reports = await rows<{ legacy_id: string; reasons: string[]; resembles: string | null }>(
    db,
    "select legacy_id, reasons, resembles from identity.migration_report order by legacy_id",
  );
  assert.deepEqual(reports, [
    { legacy_id: "3", reasons: ["PROTECTED_LOOKALIKE"], resembles: "admin" },
  ]);
  assert.equal((await verifyDatabase(db)).ok, true);
});

Deno.test("deno task names:rejudge lists the names the current policy would refuse and changes nothing", async () => {
  await using db = await createTestDatabase();
  await legacyUsers(db, [[1, "bob"], [2, "carol"]]);
  await runSnapshot({ config: snapshotConfig(db), legacyUrl: db.url, identityUrl: db.url });
  // Names claimed under an older policy, as the database holds them: a grandfathered look-alike
  // of a protected name, an old-form tombstone, a generated name.
  await withClient(db.url, async (client) => {
    const insert = (publicId: string, username: string, source: string, status = "active") =>
      client.query(
        `insert into identity.accounts (public_id, username, username_skeleton, username_source,
           status) values ($1, $2, $3, $4, $5)`,
        [publicId, username, usernameSkeleton(username), source, status],
      );
    await insert("CCCCCCCCCCCCCCCC", "adm1n", "requested");
    await insert("DDDDDDDDDDDDDDDD", "deleted_42", "generated", "deleted");
    await insert("GGGGGGGGGGGGGGGG", "user_bcdghjkmnp", "generated");
    await insert("HHHHHHHHHHHHHHHH", "user_6789bcdghj", "requested");
  });
  const state = () =>
    rows(
      db,
      `select account_id, public_id, username, username_skeleton, username_source, status,
              updated_at from identity.accounts order by account_id`,
    );
  const before = await state();
  const reportsBefore = await rows(db, "select count(*)::int as n from identity.migration_report");

  const { code, stdout, stderr } = await runCli(db, ["names:rejudge"]);

  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split("\n").map((line) => JSON.parse(line));
  const summary = lines.pop();
  assert.deepEqual(lines, [{
    public_id: "CCCCCCCCCCCCCCCC",
    username: "adm1n",
    username_source: "requested",
    reasons: ["PROTECTED_LOOKALIKE"],
    resembles: "admin",
  }]);
  assert.equal(summary.command, "names:rejudge");
  assert.equal(summary.dry_run, true);
  assert.equal(summary.changed, 0);
  // bob, carol and adm1n; the system-shaped requested name is skipped, generated ones not read.
  assert.equal(summary.judged, 3);
  assert.equal(summary.would_refuse, 1);
  assert.equal(summary.system_names_skipped, 1);
  assert.deepEqual(await state(), before);
  assert.deepEqual(
    await rows(db, "select count(*)::int as n from identity.migration_report"),
    reportsBefore,
  );
});
