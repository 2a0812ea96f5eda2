import assert from "node:assert/strict";
import { migrate } from "../src/db/migrate.ts";
import { runSnapshot } from "../src/snapshot/run_snapshot.ts";
import {
  accountsOf,
  runCli,
  seedLegacyUsers,
  snapshotConfig,
  verifyDatabase,
} from "./support/snapshot_fixture.ts";
import { createTestDatabase, withClient } from "./support/test_database.ts";

/** The constraints and indexes of identity.accounts, as the catalog defines them. */
function accountsDefinitions(db: { url: string }): Promise<string[]> {
  return withClient(db.url, async (client) =>
    (await client.query(
      `select conname || ' ' || pg_get_constraintdef(oid) as d from pg_constraint
       where conrelid = 'identity.accounts'::regclass
       union all
       select indexdef from pg_indexes where schemaname = 'identity' and tablename = 'accounts'
       order by 1`,
    )).rows.map((r) => r.d));
}

Deno.test("snapshot gives every legacy account a username and public ID, and verify agrees", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 5_000);
  await migrate(db.url);
  const definitions = await accountsDefinitions(db);

  const result = await runCli(db, ["snapshot"], { SNAPSHOT_RANGE_SIZE: "700" });

  assert.equal(result.code, 0, result.stderr);
  const summary = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
  assert.equal(summary.status, "completed");
  assert.equal(summary.rows, 5_000);
  assert.equal(
    summary.claimed.exact + summary.claimed.normalized + summary.claimed.derived +
      summary.fallbacks,
    5_000,
  );
  assert.ok(summary.reasons.TAKEN_BY_OLDER > 0);
  assert.ok(summary.rows_per_second > 0);
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
  assert.equal((await accountsOf(db)).size, 5_000);
  // The bulk load dropped and rebuilt them: every one is back, the same.
  assert.deepEqual(await accountsDefinitions(db), definitions);
  assert.ok(definitions.length >= 8, definitions.join("\n"));
});

Deno.test("snapshot claims the same names whatever the workers, range sizes and finishing order", async () => {
  await using one = await createTestDatabase();
  await using four = await createTestDatabase();
  await seedLegacyUsers(one, 12_000, { seed: 7 });
  await seedLegacyUsers(four, 12_000, { seed: 7 });

  for (const [db, workers, rangeSize] of [[one, "1", "5000"], [four, "4", "700"]] as const) {
    const config = snapshotConfig(db, {
      SNAPSHOT_WORKERS: workers,
      SNAPSHOT_RANGE_SIZE: rangeSize,
    });
    await runSnapshot({ config, legacyUrl: db.url, identityUrl: db.url });
  }

  const claimed = async (db: typeof one) =>
    new Map(
      [...(await accountsOf(db))].filter(([, a]) => a.source !== "generated").map((
        [id, a],
      ) => [id, `${a.username}/${a.source}`]),
    );
  const a = await claimed(one);
  const b = await claimed(four);
  assert.ok(a.size > 1_000, `only ${a.size} accounts claimed their name`);
  assert.deepEqual(b, a);
  const ranges = await withClient(
    four.url,
    async (client) =>
      (await client.query("select count(*)::int as n from identity.snapshot_ranges")).rows[0].n,
  );
  assert.ok(ranges >= 10, `${ranges} ranges`);
});

Deno.test("a contested name goes to the better tier, then the oldest account, then the smaller id", async () => {
  await using db = await createTestDatabase();
  await withClient(db.url, async (client) => {
    await client.query(
      "create table users (id bigint primary key, username text, created_at timestamptz, display_name text)",
    );
    await client.query(`insert into users values
      (10, 'ＭＡＸ', '2001-01-01', null),   -- normalized: loses to any exact claim
      (11, 'Max', '2010-01-01', null),     -- exact, newer
      (12, 'max', '2005-01-01', null),     -- exact, oldest: wins "max"
      (13, 'MAX', null, null),             -- exact, no creation time: counts as newest
      (20, 'Kim', '2003-03-03', null),     -- same time: the smaller id wins "kim"
      (21, 'kim', '2003-03-03', null),
      (-5, 'KIM', '2003-03-03', null)`);
  });

  await runSnapshot({ config: snapshotConfig(db), legacyUrl: db.url, identityUrl: db.url });

  const accounts = await accountsOf(db);
  assert.equal(accounts.get("12")!.username, "max");
  assert.equal(accounts.get("-5")!.username, "kim");
  for (const loser of ["10", "11", "13", "20", "21"]) {
    assert.match(accounts.get(loser)!.username, /^(max|kim)_\d{4}$/, loser);
  }
  const reasons = await withClient(db.url, async (client) =>
    (await client.query(
      "select legacy_id, reasons from identity.migration_report order by legacy_id",
    )).rows);
  assert.deepEqual(
    reasons.find((r) => r.legacy_id === "10")!.reasons,
    ["STYLIZED", "TAKEN_BY_OLDER"],
  );
  assert.deepEqual(reasons.find((r) => r.legacy_id === "13")!.reasons, ["TAKEN_BY_OLDER"]);
});

Deno.test("snapshot after completion is a no-op that says so", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 500);
  await runCli(db, ["snapshot"]);
  const before = await accountsOf(db);

  const again = await runCli(db, ["snapshot"]);

  assert.equal(again.code, 0, again.stderr);
  const summary = JSON.parse(again.stdout.trim());
  assert.equal(summary.status, "already-complete");
  assert.match(summary.message, /is complete; nothing to do/);
  assert.deepEqual(await accountsOf(db), before);
});

Deno.test("dry run writes nothing and predicts the real run's decisions exactly", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 6_000, { seed: 3 });
  const reportFile = await Deno.makeTempFile({ suffix: ".jsonl" });

  const dry = await runCli(db, ["snapshot", "--dry-run", "--report", reportFile], {
    SNAPSHOT_RANGE_SIZE: "1000",
  });

  assert.equal(dry.code, 0, dry.stderr);
  const predicted = JSON.parse(dry.stdout.trim());
  assert.equal(predicted.dry_run, true);
  const written = await withClient(db.url, async (client) =>
    (await client.query(
      `select (select count(*) from identity.accounts)::int as accounts,
              (select count(*) from identity.migration_report)::int as reports,
              (select count(*) from identity.sync_state)::int as runs,
              (select count(*) from pg_replication_slots where database = current_database())::int as slots`,
    )).rows[0]);
  assert.deepEqual(written, { accounts: 0, reports: 0, runs: 0, slots: 0 });
  const lines = (await Deno.readTextFile(reportFile)).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 6_000);
  assert.ok(lines.every((l) => typeof l.username === "string" && l.decision));

  const real = await runCli(db, ["snapshot"], { SNAPSHOT_RANGE_SIZE: "700" });

  const actual = JSON.parse(real.stdout.trim());
  for (const key of ["rows", "claimed", "fallbacks", "reasons"]) {
    assert.deepEqual(actual[key], predicted[key], key);
  }
  await Deno.remove(reportFile);
});

Deno.test("snapshot reads integer keys that are negative and sparse, and text and uuid keys", async (t) => {
  const tables: [string, string, string][] = [
    [
      "bigint",
      "bigint",
      "select g::bigint * 7919 * 1000003 - 5000000000000 from generate_series(1, 3000) g",
    ],
    ["integer", "integer", "select (g * 3 - 4500)::int from generate_series(1, 3000) g"],
    ["text", "text", "select md5(g::text) from generate_series(1, 3000) g"],
    ["uuid", "uuid", "select md5(g::text)::uuid from generate_series(1, 3000) g"],
  ];
  for (const [label, type, keys] of tables) {
    await t.step(label, async () => {
      await using db = await createTestDatabase();
      await withClient(db.url, async (client) => {
        await client.query(
          `create table users (id ${type} primary key, username text, created_at timestamptz, display_name text)`,
        );
        await client.query(
          `insert into users select k, 'name' || (row_number() over () % 400), now(), null from (${keys}) as s(k)`,
        );
      });

      await runSnapshot({
        config: snapshotConfig(db, { SNAPSHOT_RANGE_SIZE: "250", SNAPSHOT_WORKERS: "3" }),
        legacyUrl: db.url,
        identityUrl: db.url,
      });

      assert.equal((await accountsOf(db)).size, 3_000);
      const verified = await verifyDatabase(db);
      assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
    });
  }
});

Deno.test("two snapshot processes started together share the ranges and finish the run once", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 40_000, { seed: 5 });
  const env = { SNAPSHOT_RANGE_SIZE: "400", SNAPSHOT_WORKERS: "1" };

  const [first, second] = await Promise.all([
    runCli(db, ["snapshot"], env),
    runCli(db, ["snapshot"], env),
  ]);

  assert.equal(first.code, 0, first.stderr);
  assert.equal(second.code, 0, second.stderr);
  const statuses = [first, second].map((r) => JSON.parse(r.stdout.trim()).status).sort();
  assert.ok(statuses.includes("completed"), statuses.join());
  const claimers = await withClient(db.url, async (client) =>
    (await client.query(
      `select count(distinct split_part(claimed_by, '/', 1))::int as n from identity.snapshot_ranges`,
    )).rows[0].n);
  assert.equal(claimers, 2);
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
});
