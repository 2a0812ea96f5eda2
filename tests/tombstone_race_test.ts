import assert from "node:assert/strict";
import { sql } from "kysely";
import { tombstoneUsername } from "../src/apply/tombstone_username.ts";
import { deleteAccount } from "../src/apply/lifecycle/account_operations.ts";
import { migrate } from "../src/db/migrate.ts";
import { cryptoRandom, protectedNames, seededRandom } from "../src/policy/mod.ts";
import { startApi } from "./support/account_api.ts";
import { createTestDatabase, withClient } from "./support/test_database.ts";

const TOMBSTONE = /^deleted_[6789bcdghjkmnpqrtwz]{10}$/;

Deno.test("a user cannot block a deletion by occupying tombstone names", async (t) => {
  await using db = await createTestDatabase();
  await migrate(db.url);
  await using api = await startApi(db);
  const { call, db: kysely } = api;
  const accountIdOf = async (publicId: string) =>
    (await withClient(
      db.url,
      (c) =>
        c.query("select account_id::text as id from identity.accounts where public_id = $1", [
          publicId,
        ]),
    )).rows[0].id as string;

  const victim = (await call("POST", "/v1/accounts", { username: "victim_one" })).body.public_id;
  const attacker = (await call("POST", "/v1/accounts", { username: "attacker_one" })).body
    .public_id;
  const victimId = await accountIdOf(victim);

  await t.step("the old tombstone names and system-shaped names are refused: 400", async () => {
    const oldForms = [
      `deleted_${victimId}`,
      ...Array.from({ length: 9 }, (_, i) => `deleted_${victimId}_${i + 1}`),
    ];
    const systemShaped = Array.from({ length: 20 }, () => tombstoneUsername(cryptoRandom));
    for (const username of [...oldForms, ...systemShaped]) {
      const created = await call("POST", "/v1/accounts", { username });
      assert.equal(created.status, 400, username);
      const renamed = await call("PATCH", `/v1/accounts/${attacker}`, { username });
      assert.equal(renamed.status, 400, username);
    }
    for (const username of systemShaped) {
      const created = await call("POST", "/v1/accounts", { username });
      assert.ok(created.body.error.reasons.includes("RESERVED"), username);
    }
  });

  await t.step(
    "the deletion succeeds with a random name that does not reveal its id",
    async () => {
      const deleted = await call("DELETE", `/v1/accounts/${victim}`);
      assert.deepEqual(deleted, { status: 200, body: { public_id: victim, status: "deleted" } });
      const { rows } = await withClient(
        db.url,
        (c) => c.query("select username from identity.accounts where public_id = $1", [victim]),
      );
      assert.match(rows[0].username, TOMBSTONE);
      assert.ok(!rows[0].username.includes(victimId));
    },
  );

  await t.step("a tombstone name that is already taken or held is drawn again", async () => {
    // Nobody can request these names; write them directly, as a collision would leave them.
    const draws = seededRandom(1234);
    const taken = tombstoneUsername(draws);
    const held = tombstoneUsername(draws);
    const next = tombstoneUsername(draws);
    await withClient(db.url, async (c) => {
      await c.query(
        `insert into identity.accounts (public_id, username, username_skeleton, username_source)
         values ('DDDDDDDDDDDDDDDD', $1::text, $1::text, 'generated')`,
        [taken],
      );
      await c.query(
        `insert into identity.username_holds (username, account_id, reason, held_until)
         select $1, account_id, 'deleted', now() + interval '90 days'
         from identity.accounts where public_id = 'DDDDDDDDDDDDDDDD'`,
        [held],
      );
    });
    await kysely.transaction().execute((trx) =>
      deleteAccount(trx, attacker, {
        random: seededRandom(1234),
        protectedNames: protectedNames(),
        holdDays: 90,
      })
    );
    const { rows } = await sql<{ username: string; status: string }>`
      select username, status from identity.accounts where public_id = ${attacker}
    `.execute(kysely);
    assert.deepEqual(rows, [{ username: next, status: "deleted" }]);
  });
});
