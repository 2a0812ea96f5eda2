/**
 * What an operator or a migration may do to the legacy side while the daemon streams: change a
 * mapped column's type, drop and re-create the table, narrow the publication, change the replica
 * identity; or break the identity side for good. Each stops the daemon with one line naming what
 * changed, never silent wrong data and never retries forever (issue 13, items 4, 5 and 6).
 */
import assert from "node:assert/strict";
import {
  accountsOf,
  runCli,
  seedLegacyUsers,
  spawnSync,
  verifyDatabase,
} from "./support/snapshot_fixture.ts";
import {
  createTestDatabase,
  serverMajor,
  type TestDatabase,
  withClient,
} from "./support/test_database.ts";
import { waitFor, waitForPhase } from "./support/wait_for.ts";

/** How long a stop may take: a few heartbeats, plus a loaded machine's start-up. */
const STOP_SECONDS = 45;

function sql(db: TestDatabase, ...statements: string[]): Promise<void> {
  return withClient(db.url, async (client) => {
    for (const statement of statements) await client.query(statement);
  });
}

async function streamingDaemon(db: TestDatabase) {
  const daemon = spawnSync(db, { HEARTBEAT_SECONDS: "1", SYNC_BATCH_MS: "20" }, {
    stderr: "piped",
  });
  await waitForPhase(db.url, "streaming", { slot: db.name });
  return daemon;
}

/** Waits for `daemon` to stop by itself; asserts exit 1 with one error line matching `pattern`. */
async function assertStops(daemon: Deno.ChildProcess, pattern: RegExp): Promise<string> {
  const timer = setTimeout(() => daemon.kill("SIGKILL"), STOP_SECONDS * 1_000);
  const output = await daemon.output();
  clearTimeout(timer);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.signal, null, `the daemon did not stop within ${STOP_SECONDS} s: ${stderr}`);
  assert.equal(output.code, 1, stderr);
  const errors = stderr.split("\n").filter((line) => line.startsWith("error: "));
  assert.equal(errors.length, 1, stderr);
  assert.match(errors[0]!, pattern);
  return errors[0]!;
}

async function displayName(db: TestDatabase, legacyId: string): Promise<string | null> {
  const { rows } = await withClient(
    db.url,
    (client) =>
      client.query("select display_name from identity.accounts where legacy_id = $1", [legacyId]),
  );
  return rows[0]?.display_name;
}

Deno.test("a mapped column's type changed under the daemon stops it, naming the column", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 50);
  const daemon = await streamingDaemon(db);
  const alter = "alter table users alter column created_at type timestamp without time zone";
  if (await serverMajor(db.url) >= 15) {
    // With the publication's column list PostgreSQL itself refuses to change a published
    // column's type: the legacy side must publish the whole row first.
    await assert.rejects(sql(db, alter), /cannot alter type of a column used by a publication/);
    await sql(db, `alter publication ${db.name} set table users`);
  }

  await sql(db, alter, "update users set display_name = 'after the change' where id = 1");

  await assertStops(
    daemon,
    /column "created_at" \(LEGACY_CREATED_AT_COLUMN\) changed type/,
  );
  assert.notEqual(await displayName(db, "1"), "after the change", "nothing after it applied");
});

Deno.test("the legacy table dropped and created again stops the daemon", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 50);
  const daemon = await streamingDaemon(db);
  const before = await accountsOf(db);

  await sql(
    db,
    "drop table users",
    `create table users (id bigint primary key, username text, created_at timestamptz,
                         display_name text, email text)`,
    `alter publication ${db.name} add table users`,
    "insert into users (id, username) values (1, 'somebody_else')",
  );

  await assertStops(daemon, /dropped and created again/);
  assert.deepEqual(await accountsOf(db), before, "no account took the new table's rows");
});

Deno.test("a publication narrowed under the daemon stops it: operations, rows, or gone", async (t) => {
  const major = await serverMajor();
  const cases: [string, (name: string) => string, RegExp][] = [
    [
      "publish = 'insert'",
      (name) => `alter publication ${name} set (publish = 'insert')`,
      /does not publish its updates, deletes/,
    ],
    [
      "the table taken out",
      (name) => `alter publication ${name} drop table users`,
      /publication "[^"]+" does not publish it/,
    ],
    ["dropped", (name) => `drop publication ${name}`, /publication "[^"]+" does not exist/],
    ...(major >= 15
      ? [[
        "a row filter",
        (name: string) => `alter publication ${name} set table users where (id > 10)`,
        /sends only its rows WHERE/,
      ] as [string, (name: string) => string, RegExp]]
      : []),
  ];
  for (const [label, alter, pattern] of cases) {
    await t.step(label, async () => {
      await using db = await createTestDatabase();
      await seedLegacyUsers(db, 20);
      const daemon = await streamingDaemon(db);
      await sql(db, alter(db.name));
      await assertStops(daemon, pattern);
    });
  }
});

Deno.test("replica identity: FULL works; an index without the id is refused at start-up and while streaming", async (t) => {
  await t.step("FULL: deletes and key changes come through", async () => {
    await using db = await createTestDatabase();
    await seedLegacyUsers(db, 30);
    await sql(db, "alter table users replica identity full");
    const daemon = await streamingDaemon(db);
    const before = await accountsOf(db);
    await sql(db, "delete from users where id = 3", "update users set id = 3000 where id = 4");
    await waitFor("the delete and the re-key", async () => (await accountsOf(db)).has("3000"));
    const after = await accountsOf(db);
    assert.equal(after.get("3000")?.publicId, before.get("4")!.publicId);
    const { rows } = await withClient(
      db.url,
      (client) => client.query("select status from identity.accounts where legacy_id = '3'"),
    );
    assert.equal(rows[0].status, "deleted");
    daemon.kill("SIGTERM");
    assert.equal((await daemon.output()).code, 0);
    const verified = await verifyDatabase(db);
    assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
  });

  await t.step("USING INDEX on another column: the snapshot refuses with one line", async () => {
    await using db = await createTestDatabase();
    await seedLegacyUsers(db, 10);
    await sql(
      db,
      "update users set email = 'user' || id || '@example.test'",
      "create unique index users_email_key on users (email)",
      "alter table users alter column email set not null",
      "alter table users replica identity using index users_email_key",
    );
    const run = await runCli(db, ["snapshot"]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr.trim(),
      /^error: Cannot read the legacy table: public\.users has REPLICA IDENTITY USING INDEX users_email_key, which does not include "id"/,
    );
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  });

  await t.step("NOTHING, set while streaming: the daemon stops", async () => {
    await using db = await createTestDatabase();
    await seedLegacyUsers(db, 10);
    const daemon = await streamingDaemon(db);
    await sql(db, "alter table users replica identity nothing");
    await assertStops(daemon, /REPLICA IDENTITY NOTHING/);
  });
});

Deno.test("an identity database that refuses for good stops the daemon instead of retrying forever", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 20);
  const daemon = await streamingDaemon(db);

  await sql(
    db,
    "alter table identity.accounts rename column display_name to display_name_renamed",
    "update users set display_name = 'cannot land' where id = 2",
  );

  await assertStops(daemon, /refused with SQLSTATE 42703 .*retrying cannot mend/);
});
