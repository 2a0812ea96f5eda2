import assert from "node:assert/strict";
import fc from "fast-check";
import { migrate } from "../src/db/migrate.ts";
import { generatePublicId, isWellFormedUsername, seededRandom } from "../src/policy/mod.ts";
import { createTestDatabase, withClient } from "./support/test_database.ts";
import type pg from "../src/db/pg.ts";

/** The data contract of design.md: tables and the columns operators rely on. */
const CONTRACT: Record<string, string[]> = {
  accounts: [
    "account_id",
    "legacy_id",
    "public_id",
    "username",
    "username_skeleton",
    "username_source",
    "display_name",
    "status",
    "legacy_created_at",
    "source_lsn",
    "created_at",
    "updated_at",
  ],
  migration_report: ["legacy_id", "raw_value", "tier", "decision", "reasons", "username"],
  username_holds: ["username", "held_until"],
  dead_letters: ["lsn", "legacy_id", "payload", "error", "attempts"],
  sync_state: ["slot_name", "consistent_point", "phase", "last_applied_lsn"],
  snapshot_ranges: ["slot_name", "range_no", "lower_key", "upper_key", "status", "rows_read"],
};

let seed = 1_000;

async function insertAccount(
  client: pg.Client,
  values: { legacyId?: string | null; publicId?: string; username: string },
) {
  const publicId = values.publicId ?? generatePublicId(seededRandom(++seed));
  return await client.query(
    `insert into identity.accounts (legacy_id, public_id, username, username_skeleton, username_source)
     values ($1, $2, $3::text, $3::text, 'exact') returning account_id`,
    [values.legacyId === undefined ? values.username : values.legacyId, publicId, values.username],
  );
}

async function sqlState(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code: string }).code;
  }
  return "accepted";
}

Deno.test("the identity schema", async (t) => {
  await using db = await createTestDatabase();
  await migrate(db.url);

  await withClient(db.url, async (client) => {
    await t.step("has every table and column of the data contract", async () => {
      const { rows } = await client.query(
        `select table_name, column_name from information_schema.columns where table_schema = 'identity'`,
      );
      for (const [table, columns] of Object.entries(CONTRACT)) {
        const present = rows.filter((r) => r.table_name === table).map((r) => r.column_name);
        for (const column of columns) assert.ok(present.includes(column), `${table}.${column}`);
      }
    });

    await t.step("refuses an UPDATE of public_id and keeps the old value", async () => {
      const { rows } = await insertAccount(client, { username: "immutable.id" });
      const id = rows[0].account_id;
      const before = (await client.query(
        "select public_id from identity.accounts where account_id = $1",
        [id],
      )).rows[0].public_id;

      await assert.rejects(
        client.query("update identity.accounts set public_id = $2 where account_id = $1", [
          id,
          generatePublicId(seededRandom(99)),
        ]),
        /public_id is immutable/,
      );
      const after = (await client.query(
        "select public_id from identity.accounts where account_id = $1",
        [id],
      )).rows[0].public_id;
      assert.equal(after, before);
    });

    await t.step("allows updates that leave public_id as it is", async () => {
      const { rows } = await insertAccount(client, { username: "renamable" });
      await client.query(
        "update identity.accounts set public_id = public_id, username = 'renamed', status = 'deleted' where account_id = $1",
        [rows[0].account_id],
      );
    });

    await t.step("refuses to change legacy_id, delete or truncate an account", async () => {
      const { rows } = await insertAccount(client, { username: "tombstone" });
      const id = rows[0].account_id;
      await assert.rejects(
        client.query("update identity.accounts set legacy_id = 'other' where account_id = $1", [
          id,
        ]),
        /legacy_id is immutable/,
      );
      await assert.rejects(
        client.query("delete from identity.accounts where account_id = $1", [id]),
        /never removed/,
      );
      await assert.rejects(client.query("truncate identity.accounts cascade"), /never removed/);
    });

    await t.step("refuses usernames of the wrong shape", async () => {
      const bad = [
        "Bob",
        "ab",
        "a..b",
        "_bob",
        "bob.",
        "12345",
        "a".repeat(31),
        "bob-smith",
        "bøb",
      ];
      for (const username of bad) {
        assert.equal(await sqlState(insertAccount(client, { username })), "23514", username);
      }
      for (const username of ["bob", "bob.smith", "a1_b2", "a".repeat(30), "007bond"]) {
        assert.equal(await sqlState(insertAccount(client, { username })), "accepted", username);
      }
      // A rename is checked as an insert is.
      for (const username of bad) {
        assert.equal(
          await sqlState(
            client.query("update identity.accounts set username = $1 where username = 'bob'", [
              username,
            ]),
          ),
          "23514",
          username,
        );
      }
    });

    await t.step(
      "refuses a second account with the same username, legacy_id or public_id",
      async () => {
        const publicId = generatePublicId(seededRandom(5));
        await insertAccount(client, { username: "unique.one", legacyId: "L1", publicId });
        assert.equal(
          await sqlState(insertAccount(client, { username: "unique.one", legacyId: "L2" })),
          "23505",
        );
        assert.equal(
          await sqlState(insertAccount(client, { username: "unique.two", legacyId: "L1" })),
          "23505",
        );
        assert.equal(
          await sqlState(
            insertAccount(client, { username: "unique.three", legacyId: "L3", publicId }),
          ),
          "23505",
        );
      },
    );

    await t.step("holds any number of native accounts (legacy_id null)", async () => {
      await insertAccount(client, { username: "native.one", legacyId: null });
      await insertAccount(client, { username: "native.two", legacyId: null });
    });

    await t.step("refuses a malformed public_id", async () => {
      for (
        const publicId of ["short", "aeiouAEIOU012345", "bcdfghjkmnpqrtw", "BCDFGHJKLMNPQRTW1"]
      ) {
        assert.equal(
          await sqlState(insertAccount(client, { username: `id.${publicId.length}x`, publicId })),
          "23514",
          publicId,
        );
      }
    });

    await t.step("agrees with the policy on the username shape", async () => {
      const name = fc.string({
        unit: fc.constantFrom(..."abz09._-AZ ø".split("")),
        maxLength: 34,
      });
      const samples = fc.sample(name, { numRuns: 2_000, seed: 42 });
      // Evaluate the column's own CHECK constraint (its domain's), not a copy of its regex.
      const definition = (await client.query(
        `select pg_get_constraintdef(oid) as d from pg_constraint
         where conname = 'accounts_username_shape' and contypid = 'identity.username'::regtype`,
      )).rows[0].d as string;
      const expression = definition.replace(/^CHECK /, "").replace(/ NOT VALID$/, "")
        .replaceAll("VALUE", "username");
      const { rows } = await client.query(
        `select username as s, coalesce(${expression}, false) as ok
         from (select u collate "C" as username from unnest($1::text[]) as t(u)) as v`,
        [samples],
      );
      assert.equal(rows.length, samples.length);
      for (const row of rows) assert.equal(isWellFormedUsername(row.s), row.ok, row.s);
    });
  });
});
