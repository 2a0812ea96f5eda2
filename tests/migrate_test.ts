import assert from "node:assert/strict";
import { migrate, type Migration, readMigrations } from "../src/db/migrate.ts";
import { createTestDatabase, withClient } from "./support/test_database.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

Deno.test("migrate() applies every migration once and a second run changes nothing", async () => {
  await using db = await createTestDatabase();
  const migrations = await readMigrations();
  const versions = migrations.map((m) => m.version);

  const first = await migrate(db.url);
  const second = await migrate(db.url);

  assert.deepEqual(first, { applied: versions, alreadyApplied: [] });
  assert.deepEqual(second, { applied: [], alreadyApplied: versions });
  const rows = await withClient(
    db.url,
    async (client) =>
      (await client.query("select version from identity.schema_migrations order by version")).rows,
  );
  assert.deepEqual(rows.map((r) => r.version), versions);
});

Deno.test("migrate() run by several clients at once applies each migration exactly once", async () => {
  await using db = await createTestDatabase();

  const results = await Promise.all(Array.from({ length: 4 }, () => migrate(db.url)));

  const applied = results.flatMap((r) => r.applied);
  assert.deepEqual(applied, (await readMigrations()).map((m) => m.version));
});

Deno.test("migrate() refuses a migration edited after it was applied", async () => {
  await using db = await createTestDatabase();
  const extra: Migration = { version: 9001, name: "probe", sql: "select 1", checksum: "a" };
  const migrations = await readMigrations();
  await migrate(db.url, { migrations: [...migrations, extra] });

  await assert.rejects(
    migrate(db.url, { migrations: [...migrations, { ...extra, checksum: "b" }] }),
    /migration 9001 \(probe\) was edited after it was applied/,
  );
  await assert.rejects(
    migrate(db.url, { migrations }),
    /has migration 9001 \(probe\), which this version does not know/,
  );
});

Deno.test("migrate() rolls back a failing migration and names it", async () => {
  await using db = await createTestDatabase();
  const broken: Migration = {
    version: 9002,
    name: "broken",
    sql: "create table identity.half_done (id int); select * from no_such_table",
    checksum: "c",
  };

  await assert.rejects(
    migrate(db.url, { migrations: [...await readMigrations(), broken] }),
    /migration 9002 \(broken\) failed: relation "no_such_table" does not exist/,
  );
  const leftover = await withClient(
    db.url,
    async (client) =>
      (await client.query("select to_regclass('identity.half_done') as t")).rows[0].t,
  );
  assert.equal(leftover, null);
});

Deno.test("deno task migrate works against a given URL, twice at once, and prints JSON", async () => {
  await using db = await createTestDatabase();
  const run = () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "migrate"],
      env: { LEGACY_DATABASE_URL: db.url, LOG_LEVEL: "error" },
    }).output();

  const outputs = await Promise.all([run(), run()]);

  const reports = outputs.map((o) => {
    assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
    return JSON.parse(new TextDecoder().decode(o.stdout));
  });
  assert.deepEqual(
    reports.flatMap((r) => r.applied),
    (await readMigrations()).map((m) => m.version),
  );
  assert.ok(reports.every((r) => r.embedded === false));
});

Deno.test("deno task migrate stops with one clear line on a bad setting, before any database", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "migrate"],
    // Port 1 is never a Postgres: a connection attempt would fail differently.
    env: { LEGACY_DATABASE_URL: "postgres://nobody@127.0.0.1:1/x", LEGACY_ID_COLUMN: "id; drop" },
  }).output();

  const stderr = new TextDecoder().decode(output.stderr).trim();
  assert.equal(output.code, 2);
  assert.equal(stderr.split("\n").length, 1);
  assert.match(stderr, /^error: LEGACY_ID_COLUMN="id; drop" must be a plain SQL identifier/);
});
