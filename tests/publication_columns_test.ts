/**
 * The publication sends only what the service maps (issue 15, lever 1): on PostgreSQL 15+ the
 * snapshot publishes the mapped columns and the replica identity's, so the legacy table's other
 * columns (here `email`) never leave the legacy server, and the stream still mirrors every change.
 * Under REPLICA IDENTITY FULL a column list would make the legacy table's updates fail, so every
 * column is published. On 14, which has no column lists, the daemon says the whole row is sent;
 * an existing publication sending more than needed is named at start-up.
 */
import assert from "node:assert/strict";
import { logOf } from "./support/daemon_output.ts";
import { waitForMirror } from "./support/mirror_state.ts";
import { runCli, seedLegacyUsers, spawnSync } from "./support/snapshot_fixture.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { suiteMajor } from "./support/test_server.ts";

const COLUMN_LISTS = suiteMajor() >= 15;

/** The columns publication `db.name` sends of `users` (every one before 15). */
async function publishedColumns(db: TestDatabase): Promise<string[]> {
  return await withClient(db.url, async (client) => {
    if (!COLUMN_LISTS) {
      const { rows } = await client.query(
        `select attname::text as name from pg_attribute
         where attrelid = 'users'::regclass and attnum > 0 and not attisdropped`,
      );
      return rows.map((row) => row.name).sort();
    }
    const { rows } = await client.query(
      "select attnames::text[] as attnames from pg_publication_tables where pubname = $1 and tablename = 'users'",
      [db.name],
    );
    return [...rows[0].attnames].sort();
  });
}

async function snapshot(db: TestDatabase): Promise<string> {
  const { code, stderr } = await runCli(db, ["snapshot"], { LOG_LEVEL: "info" });
  assert.equal(code, 0, stderr);
  return stderr;
}

Deno.test("the snapshot publishes only the mapped and key columns; the stream mirrors every change", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 300);
  const logged = await snapshot(db);
  const all = ["created_at", "display_name", "email", "id", "username"];
  assert.deepEqual(
    await publishedColumns(db),
    COLUMN_LISTS ? ["created_at", "display_name", "id", "username"] : all,
  );
  assert.match(
    logged,
    COLUMN_LISTS ? /sends only the columns/ : /sends every column.*has no column lists/,
  );

  const daemon = spawnSync(db, { LOG_LEVEL: "info", HEARTBEAT_SECONDS: "1" }, { stderr: "piped" });
  const log = logOf(daemon);
  try {
    await withClient(db.url, async (client) => {
      // The legacy application writes on, the e-mail column included.
      await client.query("update users set email = 'x' || id || '@example.com' where id % 3 = 0");
      await client.query("update users set display_name = 'edited ' || id where id % 5 = 0");
      await client.query("delete from users where id % 7 = 0");
      await client.query(
        "insert into users (id, username, created_at, display_name, email) values (5001, 'newcomer', now(), 'New', 'n@example.com')",
      );
    });
    await waitForMirror(db, { timeoutMs: 60_000 });
    await log.waitFor("streaming slot");
    assert.equal(
      log.lines.some((line) => line.includes("has no publication column lists")),
      !COLUMN_LISTS,
    );
    assert.ok(!log.lines.some((line) => line.includes("does not map")), "nothing unneeded sent");
  } finally {
    daemon.kill("SIGTERM");
    assert.equal((await daemon.status).code, 0);
  }
});

Deno.test("under REPLICA IDENTITY FULL every column is published and the legacy table's updates still work", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 100);
  await withClient(db.url, (client) => client.query("alter table users replica identity full"));
  const logged = await snapshot(db);
  assert.deepEqual(await publishedColumns(db), [
    "created_at",
    "display_name",
    "email",
    "id",
    "username",
  ]);
  if (COLUMN_LISTS) assert.match(logged, /sends every column.*REPLICA IDENTITY FULL/);
  // A column list that left out `email` would make this fail: it must cover the whole identity.
  await withClient(db.url, (client) => client.query("update users set email = 'changed'"));
});

Deno.test({
  name: "an existing publication that sends unmapped columns is named at start-up",
  ignore: !COLUMN_LISTS,
}, async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 100);
  await withClient(
    db.url,
    (client) => client.query(`create publication ${db.name} for table users`),
  );
  const logged = await snapshot(db);
  assert.match(logged, /published \S*public\.users\S* already: left as it is/);
  const daemon = spawnSync(db, { LOG_LEVEL: "info" }, { stderr: "piped" });
  const log = logOf(daemon);
  try {
    await log.waitFor("does not map", { timeoutMs: 60_000 });
    const { properties } = JSON.parse(log.lines.find((l) => l.includes("does not map"))!);
    assert.deepEqual(properties.columns, ["email"]);
    assert.equal(properties.mapped, "id, username, created_at, display_name");
  } finally {
    daemon.kill("SIGTERM");
    assert.equal((await daemon.status).code, 0);
  }
});
