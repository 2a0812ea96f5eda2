/**
 * Legacy display names through the snapshot and through the stream: cleaned of controls, bidi and
 * invisible characters, cut to 256 code points (a 10 MB value is never stored whole), and said so
 * in the report row an account gets anyway.
 */
import assert from "node:assert/strict";
import { createLegacyUsersTable } from "../src/demo/legacy_users.ts";
import { runSync } from "../src/sync/run_sync.ts";
import { runCli, snapshotConfig, verifyDatabase } from "./support/snapshot_fixture.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { waitFor } from "./support/wait_for.ts";

const TEN_MB = "\u202E" + "é".repeat(10 * 1024 * 1024);

/** legacy username, legacy display name, stored display name, its report reasons (if a row). */
const CASES: [string, string, string, string[] | null][] = [
  ["ten_megabytes", TEN_MB, "é".repeat(256), null],
  [
    "controls",
    "\u202Eevil\u0007\u200B Name\u2066\x1b[31m!\x1b[0m\u00AD",
    "evil Name!",
    null,
  ],
  ["line_breaks", "Ada\r\nLovelace\tthe first", "Ada  Lovelace the first", null],
  ["emoji_kept", "👩‍💻 Dev ❤️", "👩‍💻 Dev ❤️", null],
  // Full-width letters: a normalized name, so a report row, which also tells of the display name.
  ["Ｒｅｐｏｒｔｅｄ_one", "\u200B" + "z".repeat(300), "z".repeat(256), [
    "STYLIZED",
    "DISPLAY_NAME_TRUNCATED",
    "DISPLAY_NAME_CLEANED",
  ]],
  ["plain", "Grace Hopper", "Grace Hopper", null],
];

/** The cases as legacy rows from `firstId` on, each username with `suffix` (names are unique). */
async function insertCases(db: TestDatabase, firstId: number, suffix = ""): Promise<void> {
  await withClient(db.url, (client) =>
    client.query(
      `insert into users (id, username, display_name, created_at)
       select $1::bigint + n - 1, u, d, now() from unnest($2::text[], $3::text[])
         with ordinality as r(u, d, n)`,
      [firstId, CASES.map((c) => c[0] + suffix), CASES.map((c) => c[1])],
    ));
}

/** Stored display names and report reasons of the accounts of ids `firstId`… */
async function storedCases(db: TestDatabase, firstId: number) {
  const { rows } = await withClient(db.url, (client) =>
    client.query(
      `select a.legacy_id::bigint - $1 as i, a.display_name, r.reasons
       from identity.accounts a
       left join identity.migration_report r on r.legacy_id = a.legacy_id
       where a.legacy_id::bigint >= $1 and a.legacy_id::bigint < $1 + $2 order by 1`,
      [firstId, CASES.length],
    ));
  return rows as { i: string; display_name: string; reasons: string[] | null }[];
}

async function assertStored(db: TestDatabase, firstId: number, path: string) {
  const stored = await storedCases(db, firstId);
  assert.equal(stored.length, CASES.length);
  for (const [i, [username, , displayName, reasons]] of CASES.entries()) {
    const row = stored[i]!;
    assert.equal(row.display_name, displayName, `${path}: ${username}`);
    if (reasons === null) assert.equal(row.reasons, null, `${path}: ${username} has no report`);
    else assert.deepEqual([...row.reasons!].sort(), [...reasons].sort(), `${path}: ${username}`);
  }
}

Deno.test("legacy display names are stored cleaned and cut, by the snapshot and by the stream", async (t) => {
  await using db = await createTestDatabase();
  await withClient(db.url, (client) => createLegacyUsersTable(client));
  await insertCases(db, 1);

  await t.step("the snapshot", async () => {
    const snapshot = await runCli(db, ["snapshot"]);
    assert.equal(snapshot.code, 0, snapshot.stderr);
    await assertStored(db, 1, "snapshot");
  });

  const stop = new AbortController();
  const daemon = runSync({
    config: snapshotConfig(db, { SYNC_BATCH_MS: "30", HEARTBEAT_SECONDS: "1" }),
    legacyUrl: db.url,
    identityUrl: db.url,
    signal: stop.signal,
  });
  try {
    await t.step("the stream: inserts", async () => {
      await insertCases(db, 101, "_2");
      await waitFor(
        "the streamed inserts",
        async () => (await storedCases(db, 101)).length === CASES.length,
      );
      await assertStored(db, 101, "stream");
    });
    await t.step("the stream: an update to 10 MB, and one with controls", async () => {
      await withClient(db.url, async (client) => {
        await client.query("update users set display_name = $1 where id = 106", [TEN_MB]);
        await client.query("update users set display_name = $1 where id = 104", ["\u2067x\u0001"]);
      });
      await waitFor("the streamed updates", async () => {
        const stored = await storedCases(db, 101);
        return stored[5]!.display_name === "é".repeat(256) && stored[3]!.display_name === "x";
      });
    });
  } finally {
    stop.abort();
    await daemon;
  }
  await t.step("no display name is stored longer than 256 code points; verify passes", async () => {
    const { rows } = await withClient(db.url, (client) =>
      client.query(
        "select max(char_length(display_name))::int as longest from identity.accounts",
      ));
    assert.equal(rows[0].longest, 256);
    const verified = await verifyDatabase(db);
    assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
  });
});
