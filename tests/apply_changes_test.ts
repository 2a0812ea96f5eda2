import assert from "node:assert/strict";
import { inTransaction } from "../src/db/sessions.ts";
import type { AccountChange } from "../src/apply/account_change.ts";
import {
  type Ahead,
  applyAhead,
  applyChanges,
  type ApplyOptions,
  type ApplyStats,
  type LegacyChange,
} from "../src/apply/apply_changes.ts";
import { emptyStats } from "../src/apply/apply_options.ts";
import { PARTITION_MIN_CHANGES, SHARED_ROUNDS } from "../src/apply/mirror_in_place.ts";
import { tombstoneUsername } from "../src/apply/tombstone_username.ts";
import { listDeadLetters } from "../src/apply/dead_letters.ts";
import { retryDeadLetters } from "../src/apply/retry_dead_letters.ts";
import { migrate } from "../src/db/migrate.ts";
import {
  isWellFormedPublicId,
  protectedNames,
  seededRandom,
  usernameSkeleton,
  validateUsername,
} from "../src/policy/mod.ts";
import { lsnBefore } from "../src/db/lsn.ts";
import type pg from "../src/db/pg.ts";
import { runCli } from "./support/snapshot_fixture.ts";
import { waitFor } from "./support/wait_for.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";

function options(overrides: Partial<ApplyOptions> = {}): ApplyOptions {
  return {
    random: seededRandom(42),
    protectedNames: protectedNames(["paypal"]),
    holdDays: 90,
    ...overrides,
  };
}

/** A legacy insert or update: the full row unless fields are left `undefined` (TOAST). */
function upsert(
  legacyId: string,
  lsn: string,
  row: Partial<Pick<AccountChange, "username" | "displayName" | "createdAt">> = {},
): AccountChange {
  return {
    kind: "upsert",
    legacyId,
    legacyInt: /^\d+$/.test(legacyId) ? legacyId : null,
    username: "username" in row ? row.username : `user${legacyId}`,
    displayName: "displayName" in row ? row.displayName : null,
    createdAt: "createdAt" in row ? row.createdAt : "2020-01-01 00:00:00+00",
    lsn,
  };
}

function remove(legacyId: string, lsn: string): AccountChange {
  return {
    kind: "delete",
    legacyId,
    legacyInt: null,
    username: undefined,
    displayName: undefined,
    createdAt: undefined,
    lsn,
  };
}

/** A tombstone's name: `deleted_` and 10 random characters of the system alphabet. */
const TOMBSTONE = /^deleted_[6789bcdghjkmnpqrtwz]{10}$/;

async function identityDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await migrate(db.url);
  return db;
}

/** `client`, with the text of every statement it is sent appended to `sent`. */
function recording(client: pg.ClientBase, sent: string[]): pg.ClientBase {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== "query") return Reflect.get(target, property, receiver);
      return (...args: Parameters<pg.ClientBase["query"]>) => {
        const [text] = args as unknown[];
        sent.push(typeof text === "string" ? text.trim() : "?");
        return (target.query as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** Applies `changes` as the daemon does: one transaction, committed. */
async function apply(
  db: TestDatabase,
  changes: readonly LegacyChange[],
  applyOptions: ApplyOptions = options(),
): Promise<ApplyStats> {
  return await withClient(
    db.url,
    (client) => inTransaction(client, () => applyChanges(client, changes, applyOptions)),
  );
}

interface AccountRow {
  account_id: string;
  legacy_id: string;
  public_id: string;
  username: string;
  username_source: string;
  username_skeleton: string;
  display_name: string | null;
  legacy_username: string | null;
  status: string;
  legacy_created_at: string | null;
  source_lsn: string | null;
}

async function account(db: TestDatabase, legacyId: string): Promise<AccountRow | undefined> {
  return (await query<AccountRow>(
    db,
    `select account_id::text, legacy_id, public_id, username, username_source, username_skeleton,
            display_name, legacy_username, status,
            to_char(legacy_created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') as legacy_created_at,
            source_lsn::text
     from identity.accounts where legacy_id = $1`,
    [legacyId],
  ))[0];
}

async function query<T>(db: TestDatabase, sql: string, params: unknown[] = []): Promise<T[]> {
  return await withClient(db.url, async (client) => (await client.query(sql, params)).rows);
}

async function reports(db: TestDatabase, legacyId: string) {
  return await query<
    { decision: string; reasons: string[]; tier: string | null; username: string; raw: string }
  >(
    db,
    `select decision, reasons, tier, username, raw_value as raw from identity.migration_report
     where legacy_id = $1 and source = 'stream' order by report_id`,
    [legacyId],
  );
}

async function hold(db: TestDatabase, username: string) {
  return (await query<{ legacy_id: string; reason: string; days: number }>(
    db,
    `select a.legacy_id, h.reason,
            round(extract(epoch from h.held_until - now()) / 86400)::int as days
     from identity.username_holds h join identity.accounts a using (account_id)
     where h.username = $1`,
    [username],
  ))[0];
}

function counts(stats: Partial<ApplyStats>): ApplyStats {
  return { ...emptyStats(), ...stats };
}

Deno.test("an insert claims its exact candidate with a fresh public ID and needs no report", async () => {
  await using db = await identityDatabase();

  const stats = await apply(db, [
    upsert("1", "0/100", {
      username: "Bob.Smith",
      displayName: "Bob Smith",
      createdAt: "2011-02-03 04:05:06+00",
    }),
  ]);

  assert.deepEqual(stats, counts({ inserted: 1 }));
  const bob = (await account(db, "1"))!;
  assert.equal(bob.username, "bob.smith");
  assert.equal(bob.username_source, "exact");
  assert.equal(bob.username_skeleton, usernameSkeleton("bob.smith"));
  assert.equal(bob.legacy_username, "Bob.Smith");
  assert.equal(bob.display_name, "Bob Smith");
  assert.equal(bob.legacy_created_at, "2011-02-03 04:05:06");
  assert.equal(bob.status, "active");
  assert.equal(bob.source_lsn, "0/100");
  assert.ok(isWellFormedPublicId(bob.public_id), bob.public_id);
  assert.deepEqual(await reports(db, "1"), []);
});

Deno.test("an insert whose name is taken, held or unusable gets a fallback and a report saying why", async () => {
  await using db = await identityDatabase();
  await apply(db, [
    upsert("1", "0/100", { username: "alice" }),
    upsert("2", "0/100", { username: "carol" }),
  ]);
  await apply(db, [upsert("2", "0/200", { username: "Caroline" })]);

  const stats = await apply(db, [
    upsert("3", "0/300", { username: "ALICE" }),
    upsert("4", "0/300", { username: "carol" }),
    upsert("5", "0/300", { username: null }),
    upsert("6", "0/300", { username: "paypa1" }),
    upsert("7", "0/300", { username: "Ｄａｖｅ" }),
    upsert("8", "0/300", { username: "dave" }),
  ]);

  assert.deepEqual(stats, counts({ inserted: 6 }));
  assert.match((await account(db, "3"))!.username, /^alice_\d{4}$/);
  assert.deepEqual(
    (await reports(db, "3")).map((r) => [r.decision, r.tier, r.reasons, r.raw]),
    [["fallback", "exact", ["TAKEN"], "ALICE"]],
  );
  assert.match((await account(db, "4"))!.username, /^carol_\d{4}$/);
  assert.deepEqual((await reports(db, "4"))[0]!.reasons, ["HELD"]);
  const missing = (await account(db, "5"))!;
  assert.match(missing.username, /^user_[a-z0-9]{10}$/);
  assert.equal(missing.username_source, "generated");
  assert.deepEqual((await reports(db, "5"))[0]!.reasons, ["MISSING"]);
  assert.match((await account(db, "6"))!.username, /^user_/);
  assert.deepEqual((await reports(db, "6"))[0]!.reasons, ["PROTECTED_LOOKALIKE"]);
  // Within a batch the first claimant in commit order wins, whatever its tier.
  const dave = (await account(db, "7"))!;
  assert.equal(dave.username, "dave");
  assert.equal(dave.username_source, "normalized");
  assert.deepEqual(
    (await reports(db, "7")).map((r) => [r.decision, r.reasons, r.raw]),
    [["claimed", ["STYLIZED"], "\\uff24\\uff41\\uff56\\uff45"]],
  );
  assert.match((await account(db, "8"))!.username, /^dave_\d{4}$/);
  assert.deepEqual((await reports(db, "8"))[0]!.reasons, ["TAKEN"]);
});

Deno.test("the LSN guard skips replays and applies what the account has not seen", async (t) => {
  await using db = await identityDatabase();

  await t.step("a replayed batch changes nothing", async () => {
    const batch = [
      upsert("1", "0/100", { username: "eve" }),
      upsert("1", "0/200", { username: "eve", displayName: "Eve" }),
      upsert("1", "0/300", { username: "Evelyn" }),
      upsert("2", "0/300", { username: "frank" }),
      remove("2", "0/400"),
    ];
    await apply(db, batch);
    const before = await query(db, "select * from identity.accounts order by account_id");
    const tables = `select (select count(*) from identity.migration_report)::int as reports,
                           (select count(*) from identity.username_holds)::int as holds`;
    const [sideBefore] = await query(db, tables);

    const stats = await apply(db, batch);

    assert.deepEqual(stats, counts({ skipped: 5 }));
    assert.deepEqual(
      await query(db, "select * from identity.accounts order by account_id"),
      before,
    );
    assert.deepEqual((await query(db, tables))[0], sideBefore);
  });

  await t.step("every change of one transaction to one account applies", async () => {
    // The account is at 0/300; both changes of the transaction at 0/500 apply.
    const stats = await apply(db, [
      upsert("1", "0/500", { username: "Evelyn", displayName: "Evelyn E." }),
      upsert("1", "0/500", { username: "Evelyn", displayName: "Evelyn Example" }),
    ]);
    assert.deepEqual(stats, counts({ mirrored: 2 }));
    assert.equal((await account(db, "1"))!.display_name, "Evelyn Example");
    // A later call sees the account at 0/500: the same transaction again is a replay.
    assert.deepEqual(
      await apply(db, [upsert("1", "0/500", { username: "Evelyn", displayName: "late" })]),
      counts({ skipped: 1 }),
    );
  });

  await t.step("a transaction split over batches applies wholly when it continues", async () => {
    await apply(db, [upsert("1", "0/600", { username: "Evelyn", displayName: "first half" })]);
    // Without `continuing`, the second half looks like a replay of the first.
    const second = [upsert("1", "0/600", { username: "Evelyn", displayName: "second half" })];
    assert.deepEqual(await apply(db, second), counts({ skipped: 1 }));
    assert.deepEqual(
      await apply(db, second, options({ continuing: "0/600" })),
      counts({ mirrored: 1 }),
    );
    assert.equal((await account(db, "1"))!.display_name, "second half");
    // Only that transaction continues: older ones are still replays.
    const older = [upsert("1", "0/500", { username: "Evelyn", displayName: "old" })];
    assert.deepEqual(
      await apply(db, older, options({ continuing: "0/600" })),
      counts({ skipped: 1 }),
    );
  });

  await t.step("a row the snapshot read at C - 1 takes the transactions from C on", async () => {
    const consistentPoint = "0/A000";
    await withClient(db.url, (client) =>
      client.query(
        `insert into identity.accounts (legacy_id, public_id, username, username_skeleton,
           username_source, legacy_username, source_lsn)
         values ('9', 'BCDFGHJKLMNPQRTW', 'grace', 'grace', 'exact', 'grace', $1)`,
        [lsnBefore(consistentPoint)],
      ));

    const stats = await apply(db, [
      upsert("9", "0/9FF0", { username: "grace", displayName: "in the snapshot already" }),
      upsert("9", consistentPoint, { username: "grace", displayName: "Grace" }),
    ]);

    assert.deepEqual(stats, counts({ skipped: 1, mirrored: 1 }));
    assert.equal((await account(db, "9"))!.display_name, "Grace");
    assert.equal((await account(db, "9"))!.source_lsn, consistentPoint);
  });

  await t.step("LSNs compare as positions, not as text", async () => {
    await apply(db, [upsert("10", "1/9", { username: "heidi" })]);
    // As text "1/10" < "1/9"; as positions 0x10 > 0x9.
    const stats = await apply(db, [upsert("10", "1/10", { username: "heidi", displayName: "H" })]);
    assert.deepEqual(stats, counts({ mirrored: 1 }));
    assert.deepEqual(await apply(db, [upsert("10", "0/FFFFFFFF")]), counts({ skipped: 1 }));
  });
});

Deno.test("a legacy rename re-claims the name and holds the old one", async (t) => {
  await using db = await identityDatabase();
  await apply(db, [
    upsert("1", "0/100", { username: "frank" }),
    upsert("2", "0/100", { username: "gina" }),
    upsert("3", "0/100", { username: "hank" }),
  ]);

  await t.step("to a free name: renamed, the old name on hold", async () => {
    const stats = await apply(db, [upsert("1", "0/200", { username: "Franklin" })]);
    assert.deepEqual(stats, counts({ renamed: 1 }));
    const frank = (await account(db, "1"))!;
    assert.equal(frank.username, "franklin");
    assert.equal(frank.legacy_username, "Franklin");
    assert.equal(frank.username_skeleton, "franklin");
    assert.deepEqual(await hold(db, "frank"), { legacy_id: "1", reason: "renamed", days: 90 });
    assert.deepEqual(await reports(db, "1"), []);
  });

  await t.step("to a name another account has: kept, with a report", async () => {
    const stats = await apply(db, [upsert("3", "0/300", { username: "Gina" })]);
    assert.deepEqual(stats, counts({ renameRefused: 1 }));
    assert.equal((await account(db, "3"))!.username, "hank");
    assert.equal((await account(db, "3"))!.legacy_username, "Gina");
    assert.deepEqual(
      (await reports(db, "3")).map((r) => [r.decision, r.tier, r.reasons, r.username]),
      [["kept", "exact", ["TAKEN"], "hank"]],
    );
  });

  await t.step("to a name another account released: kept while it is held", async () => {
    const stats = await apply(db, [upsert("2", "0/400", { username: "frank" })]);
    assert.deepEqual(stats, counts({ renameRefused: 1 }));
    assert.equal((await account(db, "2"))!.username, "gina");
    assert.deepEqual((await reports(db, "2"))[0]!.reasons, ["HELD"]);
  });

  await t.step("to a value with no candidate: kept, with the policy's reasons", async () => {
    const stats = await apply(db, [upsert("3", "0/500", { username: "" })]);
    assert.deepEqual(stats, counts({ renameRefused: 1 }));
    assert.equal((await account(db, "3"))!.username, "hank");
    assert.deepEqual((await reports(db, "3")).at(-1)!.reasons, ["EMPTY"]);
  });

  await t.step("back to its own held name: allowed, and its hold released", async () => {
    const stats = await apply(db, [upsert("1", "0/600", { username: "frank" })]);
    assert.deepEqual(stats, counts({ renamed: 1 }));
    assert.equal((await account(db, "1"))!.username, "frank");
    assert.equal(await hold(db, "frank"), undefined);
    assert.equal((await hold(db, "franklin"))!.reason, "renamed");
  });

  await t.step("to a value whose candidate is the current name: the name stays", async () => {
    assert.deepEqual(
      await apply(db, [upsert("1", "0/700", { username: "FRANK" })]),
      counts({ mirrored: 1 }),
    );
    assert.equal((await account(db, "1"))!.legacy_username, "FRANK");
    assert.deepEqual(await reports(db, "1"), []);
    // Not the exact value any more: the name stays, and a report says why.
    await apply(db, [upsert("1", "0/800", { username: " frank " })]);
    const frank = (await account(db, "1"))!;
    assert.equal(frank.username, "frank");
    assert.equal(frank.username_source, "normalized");
    assert.deepEqual(
      (await reports(db, "1")).map((r) => [r.decision, r.reasons, r.username]),
      [["kept", ["TRIMMED"], "frank"]],
    );
  });

  await t.step("an update that leaves the legacy username alone never re-judges it", async () => {
    await withClient(
      db.url,
      (client) =>
        client.query("update identity.accounts set legacy_username = 'Gina' where legacy_id = '3'"),
    );
    // The raw value is what was last seen: no rename, even though hank is not its candidate.
    const stats = await apply(db, [upsert("3", "0/900", { username: "Gina", displayName: "H" })]);
    assert.deepEqual(stats, counts({ mirrored: 1 }));
    assert.equal((await account(db, "3"))!.username, "hank");
  });
});

Deno.test("a legacy claim that looks like another active account's name is refused, as a sign-up is", async (t) => {
  await using db = await identityDatabase();
  // A native account, as the API creates it.
  await withClient(db.url, (client) =>
    client.query(
      `insert into identity.accounts (public_id, username, username_skeleton, username_source)
       values ('BBBBBBBBBBBBBBBB', 'bob', $1, 'requested')`,
      [usernameSkeleton("bob")],
    ));
  await apply(db, [
    upsert("2", "0/100", { username: "carl" }),
    upsert("3", "0/100", { username: "jo.ann" }),
  ]);

  await t.step("an insert gets a fallback and a LOOKALIKE report row", async () => {
    const stats = await apply(db, [upsert("1", "0/200", { username: "b0b" })]);
    assert.deepEqual(stats, counts({ inserted: 1 }));
    assert.match((await account(db, "1"))!.username, /^b0b_\d{4}$/);
    assert.deepEqual(
      (await reports(db, "1")).map((r) => [r.decision, r.tier, r.reasons, r.raw]),
      [["fallback", "exact", ["LOOKALIKE"], "b0b"]],
    );
  });

  await t.step("a rename keeps the current name and says why", async () => {
    const stats = await apply(db, [upsert("2", "0/300", { username: "b.o.b" })]);
    assert.deepEqual(stats, counts({ renameRefused: 1 }));
    assert.equal((await account(db, "2"))!.username, "carl");
    assert.deepEqual(
      (await reports(db, "2")).map((r) => [r.decision, r.reasons, r.username]),
      [["kept", ["LOOKALIKE"], "carl"]],
    );
  });

  await t.step("a rename to a look-alike of the account's own name is allowed", async () => {
    const stats = await apply(db, [upsert("3", "0/400", { username: "joann" })]);
    assert.deepEqual(stats, counts({ renamed: 1 }));
    assert.equal((await account(db, "3"))!.username, "joann");
    assert.deepEqual(await reports(db, "3"), []);
  });

  await t.step("within one batch, the first claim of a skeleton wins", async () => {
    const stats = await apply(db, [
      upsert("4", "0/500", { username: "zed" }),
      upsert("5", "0/500", { username: "z.e.d" }),
    ]);
    assert.deepEqual(stats, counts({ inserted: 2 }));
    assert.equal((await account(db, "4"))!.username, "zed");
    assert.match((await account(db, "5"))!.username, /^z\.e\.d_\d{4}$/);
    assert.deepEqual((await reports(db, "5"))[0]!.reasons, ["LOOKALIKE"]);
  });

  await t.step("a name freed in the same batch may be looked like again", async () => {
    const stats = await apply(db, [
      remove("4", "0/600"),
      upsert("6", "0/600", { username: "z_e_d" }),
    ]);
    assert.deepEqual(stats, counts({ deleted: 1, inserted: 1 }));
    // "zed" is on hold, but only the name itself is held; its look-alike is free once it is gone.
    assert.equal((await account(db, "6"))!.username, "z_e_d");
  });

  await t.step("and the account that took it is looked like in turn", async () => {
    const stats = await apply(db, [upsert("7", "0/700", { username: "ze.d" })]);
    assert.deepEqual(stats, counts({ inserted: 1 }));
    assert.match((await account(db, "7"))!.username, /^ze\.d_\d{4}$/);
    assert.deepEqual((await reports(db, "7"))[0]!.reasons, ["LOOKALIKE"]);
  });
});

Deno.test("a report row says which protected name a refused candidate resembled", async () => {
  await using db = await identityDatabase();
  await apply(db, [
    upsert("1", "0/100", { username: "supp0rt" }),
    upsert("2", "0/100", { username: "ivy" }),
  ]);
  await apply(db, [upsert("2", "0/200", { username: "adm1n" })]);
  const rows = await query<
    { legacy_id: string; decision: string; reasons: string[]; resembles: string | null }
  >(
    db,
    `select legacy_id, decision, reasons, resembles from identity.migration_report
     order by report_id`,
  );
  assert.deepEqual(rows, [
    {
      legacy_id: "1",
      decision: "fallback",
      reasons: ["PROTECTED_LOOKALIKE"],
      resembles: "support",
    },
    { legacy_id: "2", decision: "kept", reasons: ["PROTECTED_LOOKALIKE"], resembles: "admin" },
  ]);
  assert.equal((await account(db, "2"))!.username, "ivy");
});

Deno.test("with no hold period, two accounts can swap names within one batch", async () => {
  await using db = await identityDatabase();
  const noHold = options({ holdDays: 0 });
  await apply(db, [
    upsert("1", "0/100", { username: "xavier" }),
    upsert("2", "0/100", {
      username: "yvonne",
    }),
  ], noHold);

  // One statement would move both names at once: the unique index refuses that order, so the
  // batch is split until each change applies on its own, with the same result.
  const stats = await apply(db, [
    upsert("2", "0/200", { username: "zed" }),
    upsert("1", "0/200", { username: "yvonne" }),
    upsert("2", "0/300", { username: "xavier" }),
  ], noHold);

  assert.deepEqual(stats, counts({ renamed: 3 }));
  assert.equal((await account(db, "1"))!.username, "yvonne");
  assert.equal((await account(db, "2"))!.username, "xavier");
  assert.deepEqual(
    (await query(db, "select username, held_until <= now() as over from identity.username_holds"))
      .length,
    1,
  );
});

Deno.test("unchanged TOAST values never overwrite; sent values, null included, do", async () => {
  await using db = await identityDatabase();
  await apply(db, [
    upsert("1", "0/100", {
      username: "ivan",
      displayName: "Ivan",
      createdAt: "2015-05-05 05:05:05+00",
    }),
  ]);

  const stats = await apply(db, [{
    kind: "upsert",
    legacyId: "1",
    legacyInt: "1",
    username: undefined,
    displayName: undefined,
    createdAt: undefined,
    lsn: "0/200",
  }]);

  assert.deepEqual(stats, counts({ mirrored: 1 }));
  const ivan = (await account(db, "1"))!;
  assert.deepEqual(
    [ivan.username, ivan.legacy_username, ivan.display_name, ivan.legacy_created_at],
    ["ivan", "ivan", "Ivan", "2015-05-05 05:05:05"],
  );
  // Nothing new to mirror: the row is not written, so its LSN stays that of its last write.
  assert.equal(ivan.source_lsn, "0/100");

  await apply(db, [upsert("1", "0/300", { username: undefined, displayName: null })]);
  assert.equal((await account(db, "1"))!.display_name, null);
  assert.equal((await account(db, "1"))!.username, "ivan");
});

Deno.test("a delete tombstones the account and holds its name for the hold period", async (t) => {
  await using db = await identityDatabase();
  await apply(db, [upsert("1", "0/100", { username: "judy" })]);
  const judy = (await account(db, "1"))!;

  await t.step("the tombstone keeps its public ID and gets a placeholder name", async () => {
    const stats = await apply(db, [remove("1", "0/200")]);
    assert.deepEqual(stats, counts({ deleted: 1 }));
    const tombstone = (await account(db, "1"))!;
    assert.equal(tombstone.status, "deleted");
    assert.equal(tombstone.public_id, judy.public_id);
    // A random system name: no account id in it, and not a name anyone may request.
    assert.match(tombstone.username, TOMBSTONE);
    assert.ok(!tombstone.username.includes(judy.account_id));
    assert.deepEqual(validateUsername(tombstone.username, { system: true }), { valid: true });
    assert.ok(!validateUsername(tombstone.username).valid);
    assert.deepEqual(await hold(db, "judy"), { legacy_id: "1", reason: "deleted", days: 90 });
  });

  await t.step("deleting it again, or deleting an unknown id, does nothing", async () => {
    const stats = await apply(db, [remove("1", "0/300"), remove("404", "0/300")]);
    assert.deepEqual(stats, counts({ skipped: 2 }));
    assert.equal(await account(db, "404"), undefined);
  });

  await t.step("while held, nobody else gets the name", async () => {
    await apply(db, [upsert("2", "0/400", { username: "judy" })]);
    assert.match((await account(db, "2"))!.username, /^judy_\d{4}$/);
    assert.deepEqual((await reports(db, "2"))[0]!.reasons, ["HELD"]);
  });

  await t.step("once the hold has run out, the name is free", async () => {
    await withClient(db.url, (client) =>
      client.query(
        "update identity.username_holds set held_until = now() - interval '1 day' where username = 'judy'",
      ));
    await apply(db, [upsert("3", "0/500", { username: "Judy" })]);
    assert.equal((await account(db, "3"))!.username, "judy");
    assert.equal(await hold(db, "judy"), undefined);
  });

  await t.step("a re-insert reactivates the account with the same public ID", async () => {
    const stats = await apply(db, [upsert("1", "0/600", { username: "judy" })]);
    assert.deepEqual(stats, counts({ reactivated: 1 }));
    const again = (await account(db, "1"))!;
    assert.equal(again.status, "active");
    assert.equal(again.public_id, judy.public_id);
    assert.equal(again.account_id, judy.account_id);
    // Its old name went to account 3 once the hold ran out: a fallback, and the reason.
    assert.match(again.username, /^judy_\d{4}$/);
    assert.deepEqual((await reports(db, "1")).at(-1)!.reasons, ["TAKEN"]);
  });

  await t.step("a re-insert within the hold takes its own held name back", async () => {
    await apply(db, [remove("3", "0/700")]);
    const stats = await apply(db, [upsert("3", "0/800", { username: "judy" })]);
    assert.deepEqual(stats, counts({ reactivated: 1 }));
    assert.equal((await account(db, "3"))!.username, "judy");
    assert.equal(await hold(db, "judy"), undefined);
  });

  await t.step("insert, delete and re-insert in one batch", async () => {
    const stats = await apply(db, [
      upsert("4", "0/900", { username: "kate" }),
      remove("4", "0/901"),
      upsert("4", "0/902", { username: "kate" }),
      upsert("5", "0/902", { username: "mallory" }),
      remove("5", "0/903"),
    ]);
    assert.deepEqual(stats, counts({ inserted: 2, deleted: 2, reactivated: 1 }));
    assert.equal((await account(db, "4"))!.username, "kate");
    const mallory = (await account(db, "5"))!;
    assert.equal(mallory.status, "deleted");
    assert.match(mallory.username, TOMBSTONE);
    assert.equal((await hold(db, "mallory"))!.reason, "deleted");
  });
});

Deno.test("a delete whose drawn tombstone name is taken draws again and never fails", async () => {
  await using db = await identityDatabase();
  await apply(db, [upsert("1", "0/100", { username: "peggy" })]);
  // The apply's first draw of a batch that only deletes is the tombstone's: occupy it, and hold
  // the second, as only a collision could (nobody may request a system name).
  const draws = seededRandom(99);
  const taken = tombstoneUsername(draws);
  const held = tombstoneUsername(draws);
  await withClient(db.url, async (client) => {
    await client.query(
      `insert into identity.accounts (public_id, username, username_skeleton, username_source)
       values ('DDDDDDDDDDDDDDDD', $1::text, $1::text, 'generated')`,
      [taken],
    );
    await client.query(
      `insert into identity.username_holds (username, account_id, reason, held_until)
       select $1, account_id, 'deleted', now() + interval '90 days'
       from identity.accounts where public_id = 'DDDDDDDDDDDDDDDD'`,
      [held],
    );
  });

  const stats = await apply(db, [remove("1", "0/200")], options({ random: seededRandom(99) }));

  assert.deepEqual(stats, counts({ deleted: 1 }));
  const peggy = (await account(db, "1"))!;
  assert.equal(peggy.status, "deleted");
  assert.match(peggy.username, TOMBSTONE);
  assert.notEqual(peggy.username, taken);
  assert.notEqual(peggy.username, held);
});

Deno.test("a truncate is recorded as a dead letter and deletes nothing", async () => {
  await using db = await identityDatabase();
  const batch: LegacyChange[] = [
    upsert("1", "0/100", { username: "niaj" }),
    { kind: "truncate", lsn: "0/200" },
    upsert("2", "0/300", { username: "olivia" }),
  ];

  const stats = await apply(db, batch);

  assert.deepEqual(stats, counts({ inserted: 2, truncates: 1 }));
  assert.deepEqual(
    await query(db, "select count(*)::int as n from identity.accounts where status = 'active'"),
    [{ n: 2 }],
  );
  const [letter, ...rest] = await withClient(db.url, (client) => listDeadLetters(client));
  assert.deepEqual(rest, []);
  assert.equal(letter!.operation, "truncate");
  assert.equal(letter!.lsn, "0/200");
  assert.equal(letter!.legacyId, null);
  assert.deepEqual(letter!.payload, { kind: "truncate", lsn: "0/200" });
  assert.match(letter!.error, /never deletes accounts/);

  // A replay of the batch records nothing twice.
  await apply(db, batch);
  assert.equal((await withClient(db.url, (client) => listDeadLetters(client))).length, 1);
});

Deno.test("a change that fails becomes a dead letter and the rest of the batch applies", async () => {
  await using db = await identityDatabase();
  const batch = [
    upsert("1", "0/100", { username: "peggy" }),
    upsert("2", "0/100", { username: "quentin", createdAt: "not a date" }),
    upsert("1", "0/200", { username: "peggy", displayName: "Peggy" }),
    upsert("3", "0/300", { username: "rupert", createdAt: "2020-13-45 00:00:00+00" }),
    upsert("4", "0/300", { username: "sybil" }),
    upsert("2", "0/400", { username: "quentin", displayName: "Q" }),
  ];

  const stats = await apply(db, batch);

  assert.deepEqual(stats, counts({ inserted: 3, mirrored: 1, deadLettered: 2 }));
  assert.equal((await account(db, "1"))!.display_name, "Peggy");
  assert.equal((await account(db, "4"))!.username, "sybil");
  assert.equal(await account(db, "3"), undefined);
  // The later change of account 2 still applies: it carries the whole row.
  assert.equal((await account(db, "2"))!.username, "quentin");
  assert.equal((await account(db, "2"))!.source_lsn, "0/400");
  const letters = await withClient(db.url, (client) => listDeadLetters(client));
  assert.deepEqual(
    letters.map((l) => [l.lsn, l.legacyId, l.operation, l.attempts]),
    [["0/100", "2", "upsert", 1], ["0/300", "3", "upsert", 1]],
  );
  assert.match(
    letters[0]!.error,
    /^Cannot apply upsert of legacy account 2 at 0\/100: .*not a date.*\(SQLSTATE 22007\)$/,
  );
  assert.equal((letters[0]!.payload as { createdAt: string }).createdAt, "not a date");

  // A replay skips what applied (account 2 is past 0/100 now), fails the same way on
  // account 3 and records nothing twice.
  assert.deepEqual(await apply(db, batch), counts({ skipped: 5, deadLettered: 1 }));
  assert.equal((await withClient(db.url, (client) => listDeadLetters(client))).length, 2);
});

Deno.test("updates that only mirror apply in place; one the database refuses still becomes a dead letter", async () => {
  await using db = await identityDatabase();
  await apply(db, ["1", "2", "3"].map((id) => upsert(id, "0/100")));
  const three = (await account(db, "3"))!.username;
  const batch = [
    upsert("1", "0/200", { displayName: "One" }),
    upsert("2", "0/200", { createdAt: "not a date" }),
    upsert("3", "0/200", { displayName: "Three", username: undefined }),
  ];

  assert.deepEqual(await apply(db, batch), counts({ mirrored: 2, deadLettered: 1 }));
  assert.deepEqual(
    [(await account(db, "1"))!.display_name, (await account(db, "3"))!.display_name],
    ["One", "Three"],
  );
  assert.equal((await account(db, "1"))!.source_lsn, "0/200");
  assert.equal((await account(db, "2"))!.source_lsn, "0/100");
  assert.equal((await account(db, "3"))!.username, three);
  // Replayed, the mirrors are skipped: the guard is part of the in-place update.
  const replay = await apply(db, [batch[0]!, batch[2]!]);
  assert.deepEqual(replay, counts({ skipped: 2 }));
});

Deno.test("a change that mirrors nothing new writes nothing; older replays are still refused", async () => {
  await using db = await identityDatabase();
  await apply(db, [upsert("1", "0/100", { displayName: "One" })]);
  const version = async () =>
    (await query<{ xmin: string }>(
      db,
      "select xmin::text from identity.accounts where legacy_id = '1'",
    ))[0]!.xmin;
  const written = await version();
  // The legacy row changed in a column the service does not map: the mapped values come as stored.
  assert.deepEqual(
    await apply(db, [upsert("1", "0/200", { displayName: "One" })]),
    counts({ mirrored: 1 }),
  );
  assert.equal(await version(), written, "the account row was written");
  assert.equal((await account(db, "1"))!.source_lsn, "0/100");
  // Replays from before are refused by the stored LSN, the identical one included.
  assert.deepEqual(
    await apply(db, [upsert("1", "0/50", { displayName: "Zero" })]),
    counts({ skipped: 1 }),
  );
  assert.deepEqual(
    await apply(db, [upsert("1", "0/100", { displayName: "One" })]),
    counts({ skipped: 1 }),
  );
  assert.equal((await account(db, "1"))!.display_name, "One");
  // What does change is written, as before.
  assert.deepEqual(
    await apply(db, [upsert("1", "0/300", { displayName: "Three" })]),
    counts({ mirrored: 1 }),
  );
  assert.equal((await account(db, "1"))!.display_name, "Three");
  assert.equal((await account(db, "1"))!.source_lsn, "0/300");
  assert.notEqual(await version(), written);
});

Deno.test("a change the apply itself cannot read becomes a dead letter too", async () => {
  await using db = await identityDatabase();

  const stats = await apply(db, [
    upsert("1", "0/100", { username: "yolanda" }),
    upsert("2", "not an lsn", { username: "zoe" }),
  ]);

  assert.deepEqual(stats, counts({ inserted: 1, deadLettered: 1 }));
  const [letter] = await withClient(db.url, (client) => listDeadLetters(client));
  assert.equal(letter!.lsn, null);
  assert.equal((letter!.payload as { lsn: string }).lsn, "not an lsn");
  assert.match(letter!.error, /Cannot parse LSN "not an lsn"/);
});

Deno.test("a failure that is not the change's fault is thrown, never dead-lettered", async () => {
  await using db = await identityDatabase();
  await withClient(db.url, async (locker) => {
    await locker.query("begin");
    await locker.query("lock table identity.accounts in access exclusive mode");
    try {
      await withClient(db.url, async (client) => {
        await client.query("begin");
        await client.query("set local lock_timeout = '100ms'");
        await assert.rejects(
          applyChanges(client, [upsert("1", "0/100", { username: "amelia" })], options()),
          (error: { code?: string }) => error.code === "55P03",
        );
        await client.query("rollback");
      });
    } finally {
      await locker.query("rollback");
    }
  });
  assert.deepEqual(await withClient(db.url, (client) => listDeadLetters(client)), []);
});

Deno.test("retryDeadLetters() applies what now works, resolves what is superseded, counts what fails", async () => {
  await using db = await identityDatabase();
  await apply(db, [
    upsert("1", "0/100", { username: "trent", createdAt: "yesterday-ish" }),
    upsert("2", "0/100", { username: "uma", createdAt: "yesterday-ish" }),
    upsert("3", "0/100", { username: "victor", createdAt: "yesterday-ish" }),
    { kind: "truncate", lsn: "0/150" },
    upsert("3", "0/200", { username: "victor", createdAt: "2001-01-01 00:00:00+00" }),
  ]);
  // An operator repairs the value of account 1; account 2's stays broken.
  await withClient(db.url, (client) =>
    client.query(
      `update identity.dead_letters set payload = jsonb_set(payload, '{createdAt}', '"2002-02-02 00:00:00+00"')
       where legacy_id = '1'`,
    ));

  const result = await withClient(
    db.url,
    (client) => inTransaction(client, () => retryDeadLetters(client, options())),
  );

  assert.deepEqual(
    { ...result, stats: undefined },
    { retried: 3, resolved: 2, failed: 1, notRetryable: 1, stats: undefined },
  );
  assert.deepEqual(result.stats, counts({ inserted: 1, skipped: 1, deadLettered: 1 }));
  assert.equal((await account(db, "1"))!.username, "trent");
  assert.equal((await account(db, "1"))!.legacy_created_at, "2002-02-02 00:00:00");
  assert.equal((await account(db, "3"))!.legacy_created_at, "2001-01-01 00:00:00");
  const left = await withClient(db.url, (client) => listDeadLetters(client));
  assert.deepEqual(left.map((l) => [l.operation, l.legacyId, l.attempts]), [
    ["upsert", "2", 2],
    ["truncate", null, 1],
  ]);
  const resolved = await query(
    db,
    `select legacy_id, attempts from identity.dead_letters where resolved_at is not null
     order by legacy_id`,
  );
  assert.deepEqual(resolved, [{ legacy_id: "1", attempts: 2 }, { legacy_id: "3", attempts: 2 }]);
});

Deno.test("deno task dead-letters lists unresolved dead letters and retries them with --retry", async () => {
  await using db = await identityDatabase();
  await apply(db, [upsert("1", "0/100", { username: "walter", createdAt: "soon" })]);

  const listed = await runCli(db, ["dead-letters"]);

  assert.equal(listed.code, 0, listed.stderr);
  const list = JSON.parse(listed.stdout.trim());
  assert.equal(list.command, "dead-letters");
  assert.equal(list.unresolved, 1);
  assert.equal(list.dead_letters[0].legacy_id, "1");
  assert.equal(list.dead_letters[0].payload.createdAt, "soon");
  assert.equal(list.retry, undefined);

  const retried = await runCli(db, ["dead-letters", "--retry"]);

  assert.equal(retried.code, 0, retried.stderr);
  const report = JSON.parse(retried.stdout.trim());
  assert.deepEqual(
    [report.retry.retried, report.retry.failed, report.unresolved],
    [1, 1, 1],
  );
  assert.equal(report.dead_letters[0].attempts, 2);
});

/** A random history of legacy changes over a few ids and names, each at its own LSN. */
function randomHistory(seed: number, length: number): AccountChange[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[random(1)[0]! % items.length]!;
  const names = ["amy", "Amy", "ben", "BEN ", "cy", "dora", "Ｅｖａ", null, "eva", "fay", "gus"];
  const changes: AccountChange[] = [];
  for (let i = 1; i <= length; i++) {
    const lsn = `0/${(0x1000 + i).toString(16).toUpperCase()}`;
    const id = String(1 + (random(1)[0]! % 12));
    const roll = random(1)[0]! % 10;
    if (roll < 2) changes.push(remove(id, lsn));
    else if (roll < 4) changes.push(upsert(id, lsn, { username: undefined, displayName: `d${i}` }));
    else changes.push(upsert(id, lsn, { username: pick(names), displayName: `d${i}` }));
  }
  return changes;
}

/** An account, holds and reports with drawn names (fallbacks, public IDs) left out. */
async function comparableState(db: TestDatabase) {
  const fallback = (name: string) =>
    name.replace(/_\d{4,6}$/, "_NNNN").replace(/^user_\w+$/, "user_");
  const accounts = await query<Record<string, string>>(
    db,
    `select legacy_id, username, username_source, display_name, legacy_username, status,
            source_lsn::text
     from identity.accounts order by legacy_id`,
  );
  const holds = await query<Record<string, string>>(
    db,
    `select h.username, a.legacy_id, h.reason from identity.username_holds h
     join identity.accounts a using (account_id)`,
  );
  const reports = await query<Record<string, string>>(
    db,
    `select legacy_id, decision, tier, reasons, username, source_lsn::text
     from identity.migration_report order by report_id`,
  );
  const tombstone = (name: string) => name.replace(TOMBSTONE, "deleted_ID");
  return {
    accounts: accounts.map((a) => ({ ...a, username: tombstone(fallback(a.username!)) })),
    holds: holds.map((h) => ({ ...h, username: fallback(h.username!) }))
      .sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1),
    reports: reports.map((r) => ({ ...r, username: tombstone(fallback(r.username!)) })),
  };
}

Deno.test("a batch ends exactly where applying its changes one at a time ends", async (t) => {
  for (const holdDays of [90, 0]) {
    await t.step(`with names held ${holdDays} days`, async () => {
      await using batched = await identityDatabase();
      await using oneByOne = await identityDatabase();
      const history = randomHistory(holdDays + 7, 400);

      const stats = await apply(batched, history, options({ holdDays }));
      const total = counts({});
      const sequential = options({ holdDays });
      await withClient(oneByOne.url, async (client) => {
        for (const change of history) {
          const one = await inTransaction(client, () => applyChanges(client, [change], sequential));
          for (const key of Object.keys(total) as (keyof ApplyStats)[]) total[key] += one[key];
        }
      });

      assert.deepEqual(stats, total);
      assert.equal(stats.deadLettered, 0);
      assert.deepEqual(await comparableState(batched), await comparableState(oneByOne));
    });
  }
});

/** A legacy primary-key change: the row of `from` now has key `to` (and these values). */
function rekey(
  from: string,
  to: string,
  lsn: string,
  row: Parameters<typeof upsert>[2] = {},
): AccountChange {
  return { ...upsert(to, lsn, row), previousLegacyId: from };
}

async function rekeys(db: TestDatabase) {
  return await query<{ account_id: string; old: string; new: string; source: string }>(
    db,
    `select account_id::text, old_legacy_id as old, new_legacy_id as new, source
     from identity.legacy_rekeys order by rekey_id`,
  );
}

Deno.test("a legacy primary-key change re-keys the account: same person, same public ID and name", async (t) => {
  await using db = await identityDatabase();
  await apply(db, [
    upsert("20", "0/100", { username: "wanda" }),
    upsert("21", "0/100", { username: "xavier" }),
  ]);
  const before = (await account(db, "20"))!;

  await t.step("moved, audited, nothing tombstoned, held or reported", async () => {
    const stats = await apply(db, [rekey("20", "100020", "0/200", { username: "wanda" })]);

    assert.deepEqual(stats, counts({ rekeyed: 1 }));
    assert.equal(await account(db, "20"), undefined);
    const after = (await account(db, "100020"))!;
    assert.deepEqual(
      { ...after, legacy_id: before.legacy_id, source_lsn: before.source_lsn },
      before,
    );
    assert.equal(after.source_lsn, "0/200");
    assert.deepEqual(await rekeys(db), [
      { account_id: before.account_id, old: "20", new: "100020", source: "stream" },
    ]);
    assert.equal(await hold(db, "wanda"), undefined);
    assert.deepEqual(await reports(db, "100020"), []);
  });

  await t.step("a replay changes nothing and audits nothing twice", async () => {
    const stats = await apply(db, [rekey("20", "100020", "0/200", { username: "wanda" })]);

    assert.deepEqual(stats, counts({ skipped: 1 }));
    assert.equal((await rekeys(db)).length, 1);
    assert.equal((await account(db, "100020"))!.public_id, before.public_id);
  });

  await t.step(
    "with a rename in the same change: re-keyed, then renamed by the policy",
    async () => {
      const stats = await apply(db, [rekey("100020", "7", "0/300", { username: "Wanda.W" })]);

      assert.deepEqual(stats, counts({ rekeyed: 1 }));
      const after = (await account(db, "7"))!;
      assert.equal(after.public_id, before.public_id);
      assert.equal(after.username, "wanda.w");
      assert.equal((await hold(db, "wanda"))?.legacy_id, "7");
    },
  );

  await t.step("the database lets a legacy id change only through the audited path", async () => {
    await assert.rejects(
      query(db, "update identity.accounts set legacy_id = '8' where legacy_id = '7'"),
      /legacy_id is immutable.*identity\.rekey_account/,
    );
    await assert.rejects(
      query(db, "select identity.rekey_account('7', '21', 'stream', '0/400')"),
      /account \d+ already has legacy id 21/,
    );
    await assert.rejects(
      query(db, "select identity.rekey_account('404', '405', 'stream', '0/400')"),
      /legacy id 404 to 405: it has no account/,
    );
  });
});

Deno.test("re-keys within one batch: chains, swaps, a key freed and used again", async (t) => {
  await using db = await identityDatabase();
  await apply(db, ["1", "2"].map((id) => upsert(id, "0/100", { username: `swap${id}` })));
  const one = (await account(db, "1"))!;
  const two = (await account(db, "2"))!;

  await t.step("two rows swap keys through a third (1 → 3, 2 → 1, 3 → 2)", async () => {
    const stats = await apply(db, [
      rekey("1", "3", "0/200", { username: "swap1" }),
      rekey("2", "1", "0/200", { username: "swap2" }),
      rekey("3", "2", "0/200", { username: "swap1" }),
    ]);

    assert.deepEqual(stats, counts({ rekeyed: 3 }));
    assert.equal((await account(db, "2"))!.public_id, one.public_id);
    assert.equal((await account(db, "2"))!.username, "swap1");
    assert.equal((await account(db, "1"))!.public_id, two.public_id);
    assert.equal(await account(db, "3"), undefined);
    assert.deepEqual((await rekeys(db)).map((r) => `${r.old}→${r.new}`), ["1→3", "2→1", "3→2"]);
  });

  await t.step("a key moved away from is a new person when inserted again", async () => {
    const stats = await apply(db, [
      rekey("2", "40", "0/300", { username: "swap1" }),
      upsert("2", "0/300", { username: "newcomer" }),
    ]);

    assert.deepEqual(stats, counts({ rekeyed: 1, inserted: 1 }));
    assert.equal((await account(db, "40"))!.public_id, one.public_id);
    const newcomer = (await account(db, "2"))!;
    assert.equal(newcomer.username, "newcomer");
    assert.notEqual(newcomer.public_id, one.public_id);
  });

  await t.step(
    "a row inserted and re-keyed in one batch is created under its last key",
    async () => {
      const stats = await apply(db, [
        upsert("50", "0/400", { username: "brief" }),
        rekey("50", "51", "0/400", { username: "brief" }),
      ]);

      assert.deepEqual(stats, counts({ inserted: 1, rekeyed: 1 }));
      assert.equal(await account(db, "50"), undefined);
      assert.equal((await account(db, "51"))!.username, "brief");
    },
  );

  await t.step("a key nobody had becomes an account, as an insert would", async () => {
    const stats = await apply(db, [rekey("60", "61", "0/500", { username: "unseen" })]);

    assert.deepEqual(stats, counts({ inserted: 1 }));
    assert.equal((await account(db, "61"))!.username, "unseen");
  });
});

Deno.test("a re-key onto a key that has an account is a dead letter, and the stream goes on", async () => {
  await using db = await identityDatabase();
  await apply(db, [
    upsert("1", "0/100", { username: "first" }),
    upsert("2", "0/100", { username: "second" }),
    remove("2", "0/150"),
  ]);
  const first = (await account(db, "1"))!;

  const stats = await apply(db, [
    rekey("1", "2", "0/200", { username: "first" }),
    upsert("3", "0/200", { username: "third" }),
  ]);

  assert.deepEqual(stats, counts({ inserted: 1, deadLettered: 1 }));
  assert.deepEqual(await account(db, "1"), first);
  assert.equal((await account(db, "2"))!.status, "deleted");
  const [letter] = await withClient(db.url, (client) => listDeadLetters(client));
  assert.equal(letter!.legacyId, "2");
  assert.match(letter!.error, /re-key legacy account 1 to 2: legacy id 2 already has an account/);
  assert.equal((letter!.payload as { previousLegacyId: string }).previousLegacyId, "1");
});

Deno.test("an account's report rows follow it to its new key", async () => {
  await using db = await identityDatabase();
  await apply(db, [upsert("1", "0/100", { username: "taken" })]);
  await apply(db, [upsert("2", "0/200", { username: "taken" })]);
  assert.equal((await reports(db, "2")).length, 1);

  await apply(db, [rekey("2", "9", "0/300", { username: "taken" })]);

  assert.deepEqual(await reports(db, "2"), []);
  assert.deepEqual((await reports(db, "9")).map((r) => r.decision), ["fallback"]);
});

Deno.test("a large batch's in-place updates are shared among partitions, each committed at once; the batch's own transaction holds no lock on the accounts meanwhile; a replay skips them", async (t) => {
  await using db = await identityDatabase();
  const ids = Array.from({ length: PARTITION_MIN_CHANGES }, (_, i) => String(i + 1));
  await apply(db, ids.map((id) => upsert(id, "0/100")));
  const batch = ids.map((id) => upsert(id, "0/200", { displayName: `Name ${id}` }));
  /**
   * Applies `batch` with two partitions, outside any transaction, as the daemon does; `commit`
   * false then rolls back the daemon's own transaction, as a failure after the shares would.
   * `whileShared` runs while the shares may be running, with the daemon's backend.
   */
  const applyShared = (commit: boolean, whileShared?: (pid: number) => Promise<void>) =>
    withClient(
      db.url,
      (first) =>
        withClient(db.url, (second) =>
          withClient(db.url, async (client) => {
            const { rows: [{ pid }] } = await client.query("select pg_backend_pid() as pid");
            await client.query("begin");
            const sent = { first: [] as string[], second: [] as string[], own: [] as string[] };
            const partitions = [recording(first, sent.first), recording(second, sent.second)];
            const applying = applyChanges(
              recording(client, sent.own),
              batch,
              options({
                partitions,
              }),
            );
            await whileShared?.(pid);
            const stats = await applying;
            await client.query(commit ? "commit" : "rollback");
            return { stats, sent };
          })),
    );
  const versions = async () =>
    new Map(
      (await query<{ legacy_id: string; xmin: string }>(
        db,
        "select legacy_id, xmin::text from identity.accounts",
      )).map((row) => [row.legacy_id, row.xmin]),
    );

  await t.step(
    "while a share waits, the batch's own transaction holds no lock on the accounts",
    async () => {
      const before = await versions();
      // A writer holds one account of the batch: the share that has it waits.
      const held = await withClient(db.url, async (writer) => {
        await writer.query("begin");
        await writer.query(
          "select 1 from identity.accounts where legacy_id = $1 for update",
          [ids[0]],
        );
        let locks: string[] = [];
        const { stats, sent } = await applyShared(false, async (pid) => {
          await waitFor(
            "a share to wait for the held account",
            async () =>
              (await query<{ n: number }>(
                db,
                `select count(*)::int as n from pg_stat_activity
               where wait_event_type = 'Lock' and query like '%with u as materialized%'`,
              ))[0]!.n === 1,
          );
          locks = (await query<{ mode: string }>(
            db,
            `select mode from pg_locks
             where pid = $1 and relation = 'identity.accounts'::regclass`,
            [pid],
          )).map((row) => row.mode);
          await writer.query("commit");
        });
        assert.deepEqual(stats, counts({ mirrored: ids.length }));
        // A share is one round trip in the simple protocol (values in the text, no portal kept
        // open): it opens its transaction with asynchronous commit (the batch's own commit,
        // synchronous, flushes its WAL before anything is acknowledged), writes, and commits.
        for (const partition of [sent.first, sent.second]) {
          assert.equal(partition.length, SHARED_ROUNDS);
          for (const share of partition) {
            assert.match(
              share,
              /^begin; set local synchronous_commit = off; select set_config.*; with u as materialized .*; commit$/s,
            );
          }
        }
        assert.ok(sent.own.every((text) => !text.includes("synchronous_commit")), `${sent.own}`);
        return locks;
      });
      assert.deepEqual(held, []);
      // Every share committed on its own: the daemon's rollback takes none of it back.
      const after = await versions();
      for (const id of ids) {
        assert.notEqual(after.get(id), before.get(id), id);
        assert.equal((await account(db, id))!.display_name, `Name ${id}`);
      }
      // A transaction per partition and round: each round takes every third change, and a
      // string hash splits a round's ids roughly in half.
      const shares = Map.groupBy(ids, (id) => after.get(id));
      assert.equal(shares.size, 2 * SHARED_ROUNDS);
      const round = ids.length / SHARED_ROUNDS;
      for (const share of shares.values()) {
        assert.ok(share.length > round / 4 && share.length < (round * 3) / 4, `${share.length}`);
        const rounds = new Set(share.map((id) => ids.indexOf(id) % SHARED_ROUNDS));
        assert.equal(rounds.size, 1);
      }
    },
  );

  await t.step("applied again, the LSN guard skips every change the shares wrote", async () => {
    const before = await versions();
    const { stats } = await applyShared(true);
    assert.deepEqual(stats, counts({ skipped: ids.length }));
    assert.deepEqual(await versions(), before);
    for (const id of ids) {
      const row = (await account(db, id))!;
      assert.deepEqual([row.display_name, row.source_lsn], [`Name ${id}`, "0/200"]);
    }
  });
});

/**
 * Two large batches: the first renames "5" and deletes "7" (its plan) among display names to
 * mirror, the second changes every remaining account again ("5" without its username, as TOAST
 * leaves it out).
 */
async function aheadBatches(db: TestDatabase) {
  const ids = Array.from({ length: PARTITION_MIN_CHANGES + 200 }, (_, i) => String(i + 1));
  await apply(db, ids.map((id) => upsert(id, "0/100")));
  const first: AccountChange[] = [
    upsert("5", "0/200", { username: "renamed5" }),
    remove("7", "0/200"),
    ...ids.slice(99, 99 + PARTITION_MIN_CHANGES).map((id) =>
      upsert(id, "0/200", { displayName: `First ${id}` })
    ),
  ];
  const second = ids.filter((id) => id !== "7").map((id) =>
    upsert(id, "0/300", {
      displayName: `Second ${id}`,
      ...(id === "5" ? { username: undefined } : {}),
    })
  );
  return { ids, first, second };
}

/**
 * Applies `first` on `client` with `partitions`, the shares of `second` going ahead on them while
 * its transaction is open (as the daemon does), then commits it or rolls it back; then applies
 * `second` with what went ahead, or without it when `first` rolled back (a batch that failed: the
 * daemon starts again from the stored checkpoint).
 */
async function applyWithAhead(
  db: TestDatabase,
  batches: { first: AccountChange[]; second: AccountChange[] },
  commitFirst: boolean,
) {
  return await withClient(
    db.url,
    (one) =>
      withClient(db.url, (two) =>
        withClient(db.url, async (client) => {
          const partitions = [one, two];
          let ahead: Promise<Ahead> | undefined;
          let planned: ReadonlySet<string> = new Set();
          await client.query("begin");
          const before = await applyChanges(
            client,
            batches.first,
            options({
              partitions,
              onPlanned: (ids) => {
                planned = ids;
                ahead = applyAhead(batches.second, { partitions, leave: ids });
              },
            }),
          );
          const done = await ahead!;
          await client.query(commitFirst ? "commit" : "rollback");
          const replayed = commitFirst ? undefined : await inTransaction(
            client,
            () => applyChanges(client, batches.first, options({ partitions })),
          );
          const after = await inTransaction(
            client,
            () =>
              applyChanges(
                client,
                batches.second,
                options({ partitions, ahead: commitFirst ? done : undefined }),
              ),
          );
          return { before, replayed, after, done, planned };
        })),
  );
}

/** Every account as both batches leave it. */
async function assertBothApplied(db: TestDatabase, ids: readonly string[]) {
  const renamed = (await account(db, "5"))!;
  assert.deepEqual(
    [renamed.username, renamed.legacy_username, renamed.display_name, renamed.source_lsn],
    ["renamed5", "renamed5", "Second 5", "0/300"],
  );
  assert.equal((await account(db, "7"))!.status, "deleted");
  const rows = new Map(
    (await query<{ legacy_id: string; display_name: string; source_lsn: string }>(
      db,
      "select legacy_id, display_name, source_lsn::text from identity.accounts",
    )).map((row) => [row.legacy_id, row]),
  );
  for (const id of ids.filter((id) => id !== "7" && id !== "5")) {
    const row = rows.get(id)!;
    assert.deepEqual([row.display_name, row.source_lsn], [`Second ${id}`, "0/300"], id);
  }
}

Deno.test("the next batch's shares go ahead while a batch writes its plan, and leave that plan's accounts to their own batch", async () => {
  await using db = await identityDatabase();
  const { ids, first, second } = await aheadBatches(db);
  const result = await applyWithAhead(db, { first, second }, true);
  assert.deepEqual(
    result.before,
    counts({ renamed: 1, deleted: 1, mirrored: PARTITION_MIN_CHANGES }),
  );
  assert.deepEqual([...result.planned].sort(), ["5", "7"]);
  // Ahead: every account but the plan's.
  assert.equal(result.done.tried.size, second.length - 1);
  assert.ok(!result.done.tried.has("5"));
  assert.equal(result.done.mirrored.size, second.length - 1);
  assert.deepEqual(result.after, counts({ mirrored: second.length }));
  await assertBothApplied(db, ids);
});

Deno.test("shares that went ahead of a batch that then failed stay, and both batches applied again give the same accounts", async () => {
  await using db = await identityDatabase();
  const { ids, first, second } = await aheadBatches(db);
  const result = await applyWithAhead(db, { first, second }, false);
  assert.equal(result.done.mirrored.size, second.length - 1);
  // The first batch again: its shares' accounts are past it now, its plan applies.
  assert.deepEqual(
    result.replayed,
    counts({ renamed: 1, deleted: 1, skipped: PARTITION_MIN_CHANGES }),
  );
  // The second again: what went ahead is skipped, the renamed account mirrored after its rename.
  assert.deepEqual(result.after, counts({ mirrored: 1, skipped: second.length - 1 }));
  await assertBothApplied(db, ids);
});

Deno.test("a large batch that changes every account of its pages keeps its updates HOT: no index entry for a mirrored value", async () => {
  await using db = await identityDatabase();
  // Created in one batch, the accounts fill their pages in key order, as a snapshot loads them.
  const ids = Array.from({ length: 3 * PARTITION_MIN_CHANGES }, (_, i) => String(i + 1));
  await apply(db, ids.map((id) => upsert(id, "0/100")));
  const updates = async () =>
    (await query<{ updated: number; hot: number }>(
      db,
      `select n_tup_upd::int as updated, n_tup_hot_upd::int as hot
       from pg_stat_user_tables where relid = 'identity.accounts'::regclass`,
    ))[0]!;
  const before = await updates();
  // A legacy backfill: every account changes, in key order, in one batch shared as the daemon's.
  await withClient(
    db.url,
    (first) =>
      withClient(
        db.url,
        (second) =>
          withClient(db.url, (client) =>
            inTransaction(client, async () => {
              const stats = await applyChanges(
                client,
                ids.map((id) =>
                  upsert(id, "0/200", { displayName: `Display name of account ${id}` })
                ),
                options({ partitions: [first, second] }),
              );
              assert.deepEqual(stats, counts({ mirrored: ids.length }));
            })),
      ),
  );
  // The partitions' sessions have ended: their counts reach the statistics.
  let after = before;
  await waitFor("the statistics of every update", async () => {
    await query(db, "select pg_stat_clear_snapshot()");
    after = await updates();
    return after.updated - before.updated >= ids.length;
  });
  assert.equal(after.updated - before.updated, ids.length);
  // In one transaction a page takes about a third of its accounts' new versions; the rest would
  // add an entry to each of the five indexes.
  const hot = after.hot - before.hot;
  assert.ok(hot >= ids.length * 0.9, `${hot} of ${ids.length} updates were HOT`);
});
