/**
 * Hostile input: a legacy table of arbitrary Unicode (everything a PostgreSQL text value can
 * hold), 100,000-character values, NULL in every nullable column, creation times in the far
 * future and before 1970, SQL- and HTML-looking names, ids deleted and inserted again. The
 * snapshot and the stream finish, verify passes, and raw values are stored and reported safely.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { escapeReportValue } from "../src/apply/report_value.ts";
import { createLegacyUsersTable } from "../src/demo/legacy_users.ts";
import type pg from "../src/db/pg.ts";
import { runSync } from "../src/sync/run_sync.ts";
import { runCli, snapshotConfig, verifyDatabase } from "./support/snapshot_fixture.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { waitFor } from "./support/wait_for.ts";
import { storedDisplayName } from "./support/stored_display_name.ts";

/** Recorded so that a failure can be replayed exactly. */
const SEED = 20_261_128;
const GENERATED_ROWS = 400;
const HUGE = "ǅ".repeat(50_000) + "x".repeat(50_000);

const NASTY: [string | null, string | null, string | null][] = [
  ["Robert'); DROP TABLE users;--", "' OR 1=1 --", "2020-01-01T00:00:00Z"],
  ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "2020-01-01T00:00:00Z"],
  ["%27%3B--", "&lt;b&gt;", "2999-12-31T23:59:59Z"],
  [HUGE, HUGE, "1900-01-01T00:00:00Z"],
  [null, null, null],
  ["", "", "1969-12-31T23:59:59Z"],
  ["\u202eevil\u202c", "\u{e0061}\u{e0062}", "0001-01-01T00:00:00Z"],
  ["admin", "\\u0041 not a real escape", "2100-06-01T00:00:00Z"],
];

/** Text PostgreSQL can store: well-formed UTF-16 (no lone surrogates) and no NUL. */
function storable(text: string): string {
  return text.toWellFormed().replaceAll("\u0000", "");
}

/** Rows of arbitrary Unicode from fast-check, with the seed recorded above. */
function generatedRows(): [string | null, string | null, string | null][] {
  const row = fc.tuple(
    fc.option(fc.string({ unit: "binary", maxLength: 80 }), { nil: null, freq: 10 }),
    fc.option(fc.string({ unit: "binary", maxLength: 40 }), { nil: null, freq: 5 }),
    fc.option(
      fc.date({ min: new Date("0100-01-01T00:00:00Z"), max: new Date("9999-12-31T00:00:00Z") }),
      { nil: null, freq: 10 },
    ),
  );
  return fc.sample(row, { seed: SEED, numRuns: GENERATED_ROWS }).map(([name, display, at]) => [
    name === null ? null : storable(name),
    display === null ? null : storable(display),
    at === null || Number.isNaN(at.getTime()) ? null : at.toISOString(),
  ]);
}

async function insertRows(
  client: pg.ClientBase,
  firstId: number,
  rows: readonly [string | null, string | null, string | null][],
): Promise<void> {
  await client.query(
    `insert into users (id, username, display_name, created_at)
     select $1::bigint + n - 1, u, d, c
     from unnest($2::text[], $3::text[], $4::timestamptz[]) with ordinality as r(u, d, c, n)`,
    [firstId, rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
  );
}

function waitForMirror(db: TestDatabase, expected: number): Promise<boolean> {
  return waitFor(`${expected} rows mirrored`, async () => {
    // Display names are stored cleaned and cut: compare with what the policy makes of each.
    const { rows } = await withClient(db.url, (client) =>
      client.query(
        `select u.display_name as legacy, a.display_name as stored
         from users u join identity.accounts a on a.legacy_id = u.id::text and a.status = 'active'`,
      ));
    const mirrored = rows.filter((row) => row.stored === storedDisplayName(row.legacy));
    return mirrored.length === expected;
  }, { timeoutMs: 60_000, intervalMs: 100 });
}

Deno.test("hostile legacy values go through the snapshot and the stream; verify passes", async () => {
  await using db = await createTestDatabase();
  const generated = generatedRows();
  await withClient(db.url, async (client) => {
    await createLegacyUsersTable(client);
    await insertRows(client, 1, NASTY);
    await insertRows(client, 100, generated);
  });
  const snapshot = await runCli(db, ["snapshot"]);
  assert.equal(snapshot.code, 0, snapshot.stderr);
  let verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));

  const stop = new AbortController();
  const daemon = runSync({
    config: snapshotConfig(db, { SYNC_BATCH_MS: "30", HEARTBEAT_SECONDS: "1" }),
    legacyUrl: db.url,
    identityUrl: db.url,
    signal: stop.signal,
  });
  let total = 0;
  let reborn = "";
  try {
    await withClient(db.url, async (client) => {
      // The same rows again, through the stream this time.
      await insertRows(client, 10_000, [...NASTY, ...generated]);
      // An id deleted, then inserted again later: the same account comes back.
      reborn = (await client.query("select public_id from identity.accounts where legacy_id = '5'"))
        .rows[0].public_id;
      await client.query("delete from users where id = 5");
      await client.query("insert into users (id, username, display_name) values (5, $1, 'back')", [
        "<b>again</b>",
      ]);
      // Every nullable column set to NULL, and a huge value through an update.
      await client.query(
        "update users set username = null, display_name = null, created_at = null where id = 2",
      );
      await client.query("update users set display_name = $1 where id = 3", [HUGE]);
      total = (await client.query("select count(*)::int as n from users")).rows[0].n;
    });
    await waitForMirror(db, total);
  } finally {
    stop.abort();
    await daemon;
  }
  verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));

  await withClient(db.url, async (client) => {
    // The SQL-looking name was stored as data, and the table it names is still there.
    assert.equal((await client.query("select count(*)::int as n from users")).rows[0].n, total);
    const { rows: reports } = await client.query(
      "select raw_value from identity.migration_report where legacy_id in ('1', '2', '10000', '10001')",
    );
    const raws = new Set(reports.map((row) => row.raw_value));
    assert.ok(raws.has(NASTY[0]![0]), "the SQL-looking name is reported literally");
    assert.ok(raws.has(NASTY[1]![0]), "the HTML-looking name is reported literally");
    // Raw values are reported escaped and bounded: never longer than 256 code points + marker.
    const { rows: longest } = await client.query(
      "select max(char_length(raw_value))::int as n from identity.migration_report",
    );
    assert.ok(longest[0].n <= 256 * 10 + 6, `a report value of ${longest[0].n} characters`);
    const { rows: huge } = await client.query(
      "select legacy_username from identity.accounts where legacy_id = '4'",
    );
    assert.equal(huge[0].legacy_username, escapeReportValue(HUGE));
    const { rows: back } = await client.query(
      "select public_id, status, display_name from identity.accounts where legacy_id = '5'",
    );
    assert.deepEqual(back, [{ public_id: reborn, status: "active", display_name: "back" }]);
  });
});
