// The legacy-username catalog (research: username anchors, §6) as one legacy table, migrated by
// the real snapshot: each row ends with the catalog's decision, contested names included (the
// rows of one table compete with each other, as they would in production).
import assert from "node:assert/strict";
import { migrate } from "../src/db/migrate.ts";
import { runSnapshot } from "../src/snapshot/run_snapshot.ts";
import { accountsOf, snapshotConfig, verifyDatabase } from "./support/snapshot_fixture.ts";
import { createTestDatabase, withClient } from "./support/test_database.ts";

const GENERATED = /^user_[6789bcdghjkmnpqrtwz]{10}$/;
const fallbackOf = (base: string) => new RegExp(`^${base.replaceAll(".", "\\.")}_\\d{4}$`);

/** [catalog #, legacy value, the username it must end with]; rows are oldest first. */
const CATALOG: [string, string | null, string | RegExp][] = [
  ["1", null, GENERATED],
  ["2", "", GENERATED],
  ["3", "   ", GENERATED],
  ["4", "\t\n", GENERATED],
  ["5", "  bob  ", fallbackOf("bob")], // normalized: loses to the exact "bob" below
  ["6", "bob", "bob"],
  ["7", "Bob", fallbackOf("bob")], // exact too, but younger
  ["8", "BOB", fallbackOf("bob")],
  ["8", "bOb", fallbackOf("bob")],
  ["9", "Admin", GENERATED], // reserved: not even admin_NNNN
  ["10", "support", GENERATED],
  ["10", "help", GENERATED],
  ["10", "api", GENERATED],
  ["10", "www", GENERATED],
  ["10", "login", GENERATED],
  ["10", "settings", GENERATED],
  ["10", "me", GENERATED],
  ["10", "u", GENERATED],
  ["11", "null", GENERATED],
  ["11", "undefined", GENERATED],
  ["11", "nan", GENERATED],
  ["11", "true", GENERATED],
  ["11", "[deleted]", GENERATED],
  ["11", "ghost", GENERATED],
  ["12", "con", GENERATED],
  ["12", "nul", GENERATED],
  ["12", "aux", GENERATED],
  ["12", "com1", GENERATED],
  ["13", "paypal", GENERATED], // protected (PROTECTED_NAMES)
  ["14", "p\u0430ypal", GENERATED],
  ["15", "\u0430dmin", GENERATED],
  ["15", "g\u03BFogle", GENERATED],
  ["16", "\uFF22\uFF4F\uFF42", fallbackOf("bob")],
  ["17", "\u{1D401}\u{1D428}\u{1D41B}", fallbackOf("bob")],
  ["17", "\u24B7\u24C4\u24B7", fallbackOf("bob")],
  ["18", "\uFB01sh", "fish"],
  ["19", "\u212Aevin", "kevin"],
  ["20", "\u2168", fallbackOf("ix")],
  ["21", "bob\u{1F600}", fallbackOf("bob")],
  ["22", "\u{1F600}\u{1F600}", GENERATED],
  ["23", "bo\u200Bb", fallbackOf("bob")],
  ["23", "bo\u200Db", fallbackOf("bob")],
  ["24", "bo\u00ADb", fallbackOf("bob")],
  ["24", "bob\uFE0F", fallbackOf("bob")],
  ["25", "bob\u{E0041}", fallbackOf("bob")],
  ["26", "\u202Eevil", "evil"],
  ["26", "\u2066x\u2069", fallbackOf("x")],
  ["27", "\u3164", GENERATED],
  ["28", "bo\u00A0b", "bo_b"],
  ["28", "john smith", "john_smith"],
  ["29", "bob'; DROP TABLE users;--", GENERATED], // code-shaped: never a name of its words
  ["30", "<script>alert(1)</script>", GENERATED], // markup, likewise
  ["31", "12345", GENERATED],
  ["32", "0", GENERATED],
  ["32", "ab", fallbackOf("ab")],
  ["33", "a".repeat(100), "a".repeat(30)],
  ["34", "\u5C71".repeat(5000), GENERATED],
  ["35", "..bob..", fallbackOf("bob")],
  ["35", ".bob", fallbackOf("bob")],
  ["35", "bob.", fallbackOf("bob")],
  ["36", "bo..b", "bo.b"],
  ["36", "bo._b", fallbackOf("bo.b")], // the same candidate, younger
  ["37", "__bob__", fallbackOf("bob")],
  ["37", "-bob-", fallbackOf("bob")],
  ["38", "Bob.Smith", "bob.smith"],
  ["39", "bob_smith", "bob_smith"], // a separator twin: both kept
  ["40", "paypa1", GENERATED],
  ["40", "rnicrosoft", GENERATED],
  ["41", "bob%20smith", "bob_20smith"],
  ["42", "bob@example.com", GENERATED],
  ["43", "+14155550123", GENERATED],
  ["44", "b\u00e9b\u00e9", "bebe"],
  ["44", "be\u0301be\u0301", fallbackOf("bebe")],
  ["45", "Z\u0337\u0322a\u0336lgo", "zalgo"],
  ["46", "\u0130stanbul", "istanbul"],
  ["47", "\u0131stanbul", fallbackOf("istanbul")],
  ["48", "Stra\u00dfe", fallbackOf("strasse")], // older, but derived:
  ["48", "STRASSE", "strasse"], // the exact claim wins
  ["49", "\u0391\u03BB\u03AD\u03BE\u03B7\u03C2", "alexis"],
  ["49", "\u041C\u043E\u0441\u043A\u0432\u0430", "moskva"],
  ["50", "\u5C71\u7530\u592A\u90CE", GENERATED],
  ["50", "\u0645\u062D\u0645\u062F", GENERATED],
  ["50", "\uAE40\uBBFC\uC900", GENERATED],
  ["51", "abc\u05D0\u05D1", "abc"],
  ["52", "scunthorpe", "scunthorpe"],
  ["53", "fuckface", GENERATED],
  ["53", "sh1tlord", GENERATED],
  ["53", "\uFB00uck", GENERATED],
  ["54", "user_ab12cd34ef", "user_ab12cd34ef"],
  ["55", "heldname", fallbackOf("heldname")], // released by a deleted account, still on hold
  ["56", "alex", "alex"],
  ...Array.from({ length: 30 }, (_, i): [string, string, RegExp] => [
    "56",
    i % 2 ? "Alex" : "ALEX",
    fallbackOf("alex"),
  ]),
  // Safe names (issue 12), through the snapshot: each evasion class gets a generated fallback.
  ["S1", "adm1n", GENERATED], // digits for letters
  ["S1", "r00t", GENERATED],
  ["S1", "5upport", GENERATED],
  ["S2", "adrnin", GENERATED], // letter pairs read as one
  ["S3", "admin_team", GENERATED], // affixes around a protected name
  ["S3", "official.support", GENERATED],
  ["S3", "admin1", GENERATED], // trailing digits
  ["S4", "suppport", GENERATED], // letters repeated
  ["S5", "@dmin", GENERATED], // a symbol read as a letter, before repair
  ["S6", "10.0.0.1", GENERATED], // number-like
  ["S6", "0xffffffff", GENERATED],
  ["S7", "constructor", GENERATED], // runtime sentinels
  ["S7", "localhost", GENERATED], // infrastructure
  ["S8", "<body onload=alert('xss')>", GENERATED], // payload-shaped
  ["S8", "/etc/passwd%00", GENERATED],
  ["S9", "\x1b[31mwalter\x1b[0m", "walter"], // terminal escapes removed whole
  ["S10", "user_bcdghjkmnp", GENERATED], // the system's namespace
  ["S11", "degroot", "degroot"], // an ordinary name that contains a protected one stays
];

Deno.test("the snapshot gives every catalog case the catalog's decision", async () => {
  await using db = await createTestDatabase();
  await withClient(db.url, async (client) => {
    await client.query(
      "create table users (id bigint primary key, username text, created_at timestamptz, display_name text)",
    );
    await client.query(
      `insert into users
       select n, u, timestamptz '2000-01-01' + n * interval '1 day', null
       from unnest($1::text[]) with ordinality as c(u, n)`,
      [CATALOG.map(([, raw]) => raw)],
    );
  });
  // #55: a deleted account's name is still on hold.
  const config = snapshotConfig(db, { PROTECTED_NAMES: "paypal,microsoft,google" });
  await withClient(db.url, async (client) => {
    await migrate(db.url);
    await client.query(
      `with gone as (
         insert into identity.accounts (public_id, username, username_skeleton, username_source, status)
         values ('BCDFGHJKLMNPQRTW', 'gone.user', 'goneuser', 'requested', 'deleted')
         returning account_id)
       insert into identity.username_holds (username, account_id, reason, held_until)
       select 'heldname', account_id, 'deleted', now() + interval '90 days' from gone`,
    );
  });

  await runSnapshot({ config, legacyUrl: db.url, identityUrl: db.url });

  const accounts = await accountsOf(db);
  for (const [index, [number, raw, expected]] of CATALOG.entries()) {
    const account = accounts.get(String(index + 1));
    assert.ok(account, `#${number} ${JSON.stringify(raw)} has no account`);
    const label = `#${number} ${JSON.stringify(raw)?.slice(0, 40)} became ${account.username}`;
    if (typeof expected === "string") assert.equal(account.username, expected, label);
    else assert.match(account.username, expected, label);
  }
  const reasons = await withClient(db.url, async (client) =>
    new Map(
      (await client.query("select legacy_id, reasons from identity.migration_report")).rows.map((
        r,
      ) => [r.legacy_id, r.reasons as string[]]),
    ));
  const reasonsOf = (raw: string | null) =>
    reasons.get(String(CATALOG.findIndex(([, r]) => r === raw) + 1));
  assert.deepEqual(reasonsOf("bob"), undefined); // kept exactly: no report row
  assert.ok(reasonsOf("Bob")!.includes("TAKEN_BY_OLDER"));
  assert.ok(reasonsOf("heldname")!.includes("HELD"));
  assert.ok(reasonsOf("Stra\u00dfe")!.includes("TAKEN_BY_OLDER"));
  assert.ok(reasonsOf("bob@example.com")!.includes("EMAIL_SHAPED"));
  assert.ok(reasonsOf(null)!.includes("MISSING"));
  assert.ok(reasonsOf("bob'; DROP TABLE users;--")!.includes("CODE_LIKE"));
  assert.ok(reasonsOf("<script>alert(1)</script>")!.includes("MARKUP"));
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
});
