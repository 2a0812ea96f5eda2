/**
 * Each class of unsafe name, through the stream (a legacy insert and a legacy rename, applied as
 * the daemon applies them) and through the account API (a sign-up and a rename): none is given
 * out, and each path says why. The snapshot's table is `tests/snapshot_catalog_test.ts`.
 */
import assert from "node:assert/strict";
import { applyChanges, type LegacyChange } from "../src/apply/apply_changes.ts";
import { inTransaction } from "../src/db/sessions.ts";
import { migrate } from "../src/db/migrate.ts";
import { protectedNames, seededRandom } from "../src/policy/mod.ts";
import { startApi } from "./support/account_api.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";

/** One name per class, and the reason both paths give for refusing it. */
const CLASSES: [string, string, string][] = [
  ["digits for letters", "adm1n", "PROTECTED_LOOKALIKE"],
  ["letter pairs", "adrnin", "PROTECTED_LOOKALIKE"],
  ["separators", "a.d.m.i.n", "RESERVED"],
  ["affixes", "official_support", "PROTECTED_LOOKALIKE"],
  ["numbers around affixes", "help42_staff", "PROTECTED_LOOKALIKE"],
  ["repeats", "rooot", "PROTECTED_LOOKALIKE"],
  ["reserved", "localhost", "RESERVED"],
  ["sentinel", "constructor", "RESERVED"],
  ["number-like", "10.0.0.1", "NUMBER_LIKE"],
  ["profane, separated", "f_u_c_k", "PROFANE"],
  ["profane, leet", "sh1t_head", "PROFANE"],
  ["profane, another language", "kurwa", "PROFANE"],
  ["the system namespace", "deleted_bcdghjkmnp", "RESERVED"],
];

const OPTIONS = { random: seededRandom(7), protectedNames: protectedNames(), holdDays: 90 };

function upsert(legacyId: string, lsn: string, username: string): LegacyChange {
  return {
    kind: "upsert",
    legacyId,
    legacyInt: legacyId,
    username,
    displayName: null,
    createdAt: "2020-01-01 00:00:00+00",
    lsn,
  };
}

async function apply(db: TestDatabase, changes: LegacyChange[]): Promise<void> {
  await withClient(
    db.url,
    (client) => inTransaction(client, () => applyChanges(client, changes, OPTIONS)),
  );
}

async function accountOf(db: TestDatabase, legacyId: string) {
  return await withClient(db.url, async (client) =>
    (await client.query(
      `select a.username, r.reasons from identity.accounts a
       left join identity.migration_report r on r.legacy_id = a.legacy_id
       where a.legacy_id = $1`,
      [legacyId],
    )).rows[0] as { username: string; reasons: string[] | null });
}

Deno.test("the stream gives no unsafe name, by insert or by rename", async (t) => {
  await using db = await createTestDatabase();
  await migrate(db.url);
  for (const [index, [label, name, reason]] of CLASSES.entries()) {
    const inserted = String(100 + index);
    const renamed = String(200 + index);
    await t.step(`${label}: ${name}`, async () => {
      await apply(db, [
        upsert(inserted, "0/1000", name),
        upsert(renamed, "0/1000", `keeper${index}`),
      ]);
      const insert = await accountOf(db, inserted);
      assert.notEqual(insert.username, name);
      assert.match(insert.username, /^user_[6789bcdghjkmnpqrtwz]{10}$/, "a generated fallback");
      assert.ok(insert.reasons?.includes(reason), `${insert.reasons} has ${reason}`);
      await apply(db, [upsert(renamed, "0/2000", name)]);
      assert.equal((await accountOf(db, renamed)).username, `keeper${index}`, "the name is kept");
    });
  }
});

Deno.test("the API gives no unsafe name, by sign-up or by rename", async (t) => {
  await using db = await createTestDatabase();
  await migrate(db.url);
  await using api = await startApi(db);
  const account = (await api.call("POST", "/v1/accounts", { username: "plain.member" })).body;
  for (const [label, name, reason] of CLASSES) {
    await t.step(`${label}: ${name}`, async () => {
      const created = await api.call("POST", "/v1/accounts", { username: name });
      assert.equal(created.status, 400);
      assert.ok(created.body.error.reasons.includes(reason), `${created.body.error.reasons}`);
      const renamed = await api.call("PATCH", `/v1/accounts/${account.public_id}`, {
        username: name,
      });
      assert.equal(renamed.status, 400);
      const check = await api.call("GET", `/v1/usernames/${name}`);
      assert.equal(check.body.available, false);
    });
  }
});
