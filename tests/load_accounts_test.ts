/** The snapshot's load, run again after stragglers: every decision is written once. */
import assert from "node:assert/strict";
import { loadAccounts } from "../src/apply/load_accounts.ts";
import { migrate } from "../src/db/migrate.ts";
import { inTransaction } from "../src/db/sessions.ts";
import { cryptoRandom, generatePublicId, usernameSkeleton } from "../src/policy/mod.ts";
import type pg from "../src/db/pg.ts";
import { createTestDatabase, withClient } from "./support/test_database.ts";

const RUN = "load_again";

async function stage(client: pg.ClientBase, legacyId: string, raw: string) {
  await client.query(
    `insert into identity.snapshot_rows (slot_name, range_no, legacy_id, legacy_int, tier,
       candidate, skeleton, base, reasons, raw_value, public_id, source_lsn)
     values ($1, 1, $2, null, 2, lower($3), lower($3), lower($3), '{}', $3, $4, '0/100')`,
    [RUN, legacyId, raw, generatePublicId(cryptoRandom)],
  );
}

async function decide(client: pg.ClientBase, legacyId: string, username: string) {
  await client.query(
    `insert into identity.snapshot_names (slot_name, username, legacy_id, username_source,
       skeleton, decision, reasons)
     values ($1, $2, $3, 'generated', $4, 'fallback', '{TAKEN}')`,
    [RUN, username, legacyId, usernameSkeleton(username)],
  );
}

async function native(client: pg.ClientBase, username: string) {
  await client.query(
    `insert into identity.accounts (public_id, username, username_skeleton, username_source)
     values ($1, $2, $3, 'requested')`,
    [generatePublicId(cryptoRandom), username, usernameSkeleton(username)],
  );
}

Deno.test("a load run again after stragglers writes no report row twice", async () => {
  await using db = await createTestDatabase();
  await migrate(db.url);
  await withClient(db.url, async (client) => {
    // An account already there: the load goes row by row, as a recovery's does.
    await native(client, "zed");
    await stage(client, "1", "Alpha!");
    await stage(client, "2", "Beta!");
    await decide(client, "1", "alpha_one");
    await decide(client, "2", "beta_two");
    // A sign-up takes account 2's name between the decision and the load.
    await native(client, "beta_two");

    const first = await inTransaction(client, () => loadAccounts(client, RUN));
    assert.deepEqual(first, { loaded: 1, bulk: false, stragglers: 1 });
    await decide(client, "2", "beta_again");
    const second = await inTransaction(client, () => loadAccounts(client, RUN));
    assert.deepEqual(second, { loaded: 1, bulk: false, stragglers: 0 });

    const { rows } = await client.query(
      `select legacy_id, count(*)::int as n from identity.migration_report
       group by legacy_id order by legacy_id`,
    );
    assert.deepEqual(rows, [{ legacy_id: "1", n: 1 }, { legacy_id: "2", n: 1 }]);
  });
});
