import assert from "node:assert/strict";
import type pg from "../src/db/pg.ts";
import { migrate } from "../src/db/migrate.ts";
import { generatePublicId, seededRandom, usernameSkeleton } from "../src/policy/mod.ts";
import type { BreachKind } from "../src/verify/breaches.ts";
import { VerifyError } from "../src/verify/verify_error.ts";
import { verifyInvariants, type VerifyOptions } from "../src/verify/verify_invariants.ts";
import { seedLegacyUsers, snapshotConfig, syncInProcess } from "./support/snapshot_fixture.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { waitFor } from "./support/wait_for.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;
const USERS: VerifyOptions = {
  legacyTable: { schema: "public", name: "users" },
  legacyColumns: { id: "id", username: "username" },
  // Small batches, so that every walk pages through several of them.
  batchSize: 2,
};

/** An account row as the test writes it. */
interface Account {
  legacyId: string | null;
  username: string;
  status?: "active" | "deleted";
  publicId?: string;
}

let seed = 1;

/** Inserts an account directly (the apply code is not under test); returns its public ID. */
async function insertAccount(client: pg.Client, account: Account): Promise<string> {
  const publicId = account.publicId ?? generatePublicId(seededRandom(seed++));
  await client.query(
    `insert into identity.accounts
       (legacy_id, public_id, username, username_skeleton, username_source, status)
     values ($1, $2, $3, $4, $5, $6)`,
    [
      account.legacyId,
      publicId,
      account.username,
      usernameSkeleton(account.username),
      account.legacyId === null ? "requested" : "exact",
      account.status ?? "active",
    ],
  );
  return publicId;
}

/** Inserts the report row that explains a changed name. */
async function insertReport(client: pg.Client, legacyId: string, username: string) {
  await client.query(
    `insert into identity.migration_report (legacy_id, raw_value, tier, decision, reasons, username)
     values ($1, 'escaped raw value', 'derived', 'derived', '{INVISIBLE_CHARS}', $2)`,
    [legacyId, username],
  );
}

async function createUsersTable(client: pg.Client) {
  await client.query(
    `create table public.users (
       id bigint primary key, username text, created_at timestamptz, display_name text)`,
  );
}

/** Legacy rows whose keys sort differently as text (10 < 2) than as numbers. */
const LEGACY_ROWS: [number, string | null][] = [
  [1, "Alice"],
  [2, "bob"],
  [3, null],
  [4, "carol "],
  [5, "Bob.Smith"],
  [10, "İvan"],
  [11, "dave"],
  [12, "Erin"],
];

async function seedLegacy(legacyUrl: string) {
  await withClient(legacyUrl, async (client) => {
    await createUsersTable(client);
    for (const [id, username] of LEGACY_ROWS) {
      await client.query("insert into public.users values ($1, $2, now(), null)", [id, username]);
    }
  });
}

/** A consistent identity state for LEGACY_ROWS; returns the public IDs by username. */
async function seedIdentity(identityUrl: string): Promise<Map<string, string>> {
  await migrate(identityUrl);
  return await withClient(identityUrl, async (client) => {
    const ids = new Map<string, string>();
    const add = async (account: Account) =>
      ids.set(account.username, await insertAccount(client, account));
    await add({ legacyId: "1", username: "alice" });
    await add({ legacyId: "2", username: "bob" });
    await add({ legacyId: "3", username: "user_x7" });
    await insertReport(client, "3", "user_x7");
    await add({ legacyId: "4", username: "carol" });
    await insertReport(client, "4", "carol");
    await add({ legacyId: "5", username: "bob.smith" });
    await add({ legacyId: "10", username: "ivan" });
    await insertReport(client, "10", "ivan");
    await add({ legacyId: "11", username: "dave" });
    await add({ legacyId: "12", username: "erin" });
    // A tombstone: its legacy row is gone, which is what deleted means.
    await add({ legacyId: "99", username: "old_name", status: "deleted" });
    await add({ legacyId: null, username: "native.one" });
    return ids;
  });
}

/** The breach counts that are not zero. */
function breached(breaches: Record<BreachKind, number>): Partial<Record<BreachKind, number>> {
  return Object.fromEntries(Object.entries(breaches).filter(([, count]) => count > 0));
}

async function runVerifyCli(env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "verify"],
    env: { LOG_LEVEL: "error", ...env },
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  return { code: output.code, stderr, report: stdout ? JSON.parse(stdout) : undefined };
}

Deno.test("deno task verify passes a consistent state with exit code 0 and a JSON report", async () => {
  await using db = await createTestDatabase();
  await seedLegacy(db.url);
  await seedIdentity(db.url);

  const { code, stderr, report } = await runVerifyCli({ LEGACY_DATABASE_URL: db.url });

  assert.equal(code, 0, stderr);
  assert.equal(report.command, "verify");
  assert.equal(report.ok, true);
  assert.equal(report.legacy_table, "public.users");
  assert.equal(report.legacy_rows, LEGACY_ROWS.length);
  assert.equal(report.accounts, LEGACY_ROWS.length + 2);
  assert.ok(Object.values(report.breaches).every((count) => count === 0), JSON.stringify(report));
  assert.ok(Object.values(report.examples).every((ids) => (ids as []).length === 0));
  assert.equal(typeof report.seconds, "number");
});

Deno.test("deno task verify exits 1 on a breach, after printing the report", async () => {
  await using db = await createTestDatabase();
  await seedLegacy(db.url);
  await seedIdentity(db.url);
  await withClient(
    db.url,
    (client) => client.query("insert into public.users values (13, 'frank', now(), null)"),
  );

  const { code, stderr, report } = await runVerifyCli({ LEGACY_DATABASE_URL: db.url });

  assert.equal(code, 1);
  assert.equal(report.ok, false);
  assert.deepEqual(breached(report.breaches), { legacy_row_without_account: 1 });
  assert.deepEqual(report.examples.legacy_row_without_account, ["13"]);
  assert.match(
    stderr,
    /^error: Cannot confirm the identity invariants: legacy_row_without_account 1/,
  );
  assert.doesNotMatch(stderr, /frank/);
});

/** One way to break the consistent state, and what verify must count. */
interface BreachCase {
  name: string;
  breakState: (client: pg.Client, ids: Map<string, string>) => Promise<unknown>;
  expected: Partial<Record<BreachKind, number>>;
  examples: (ids: Map<string, string>) => Partial<Record<BreachKind, string[]>>;
}

const BREACH_CASES: BreachCase[] = [
  {
    name: "a legacy row without an account",
    breakState: (client) =>
      client.query("insert into public.users values (13, 'frank', now(), null)"),
    expected: { legacy_row_without_account: 1 },
    examples: () => ({ legacy_row_without_account: ["13"] }),
  },
  {
    name: "a legacy row with two accounts",
    breakState: async (client) => {
      await client.query("alter table identity.accounts drop constraint accounts_legacy_id_key");
      await insertAccount(client, { legacyId: "2", username: "bob_2" });
      await insertReport(client, "2", "bob_2");
    },
    expected: { legacy_row_with_several_accounts: 1 },
    examples: () => ({ legacy_row_with_several_accounts: ["2"] }),
  },
  {
    name: "an active account whose legacy row is gone",
    breakState: (client) => client.query("delete from public.users where id = 11"),
    expected: { active_account_without_legacy_row: 1 },
    examples: () => ({ active_account_without_legacy_row: ["11"] }),
  },
  {
    name: "an active account whose legacy id cannot be a legacy key",
    breakState: (client) => insertAccount(client, { legacyId: "not-a-number", username: "casper" }),
    expected: { active_account_without_legacy_row: 1 },
    examples: () => ({ active_account_without_legacy_row: ["not-a-number"] }),
  },
  {
    name: "a username of the wrong shape",
    breakState: async (client) => {
      await client.query("alter domain identity.username drop constraint accounts_username_shape");
      await client.query(
        "update identity.accounts set username = 'Native..One' where username = 'native.one'",
      );
    },
    expected: { invalid_username: 1 },
    examples: (ids) => ({ invalid_username: [ids.get("native.one")!] }),
  },
  {
    name: "a duplicate username",
    breakState: async (client) => {
      await client.query("alter table identity.accounts drop constraint accounts_username_key");
      await insertAccount(client, {
        legacyId: null,
        username: "bob",
        publicId: "bbbbbbbbbbbbbbbb",
      });
    },
    expected: { duplicate_username: 1 },
    examples: (ids) => ({ duplicate_username: [ids.get("bob")!, "bbbbbbbbbbbbbbbb"] }),
  },
  {
    name: "a malformed public ID",
    breakState: async (client) => {
      await client.query(
        "alter domain identity.public_id drop constraint accounts_public_id_shape",
      );
      await insertAccount(client, { legacyId: null, username: "casper", publicId: "AEIOU" });
    },
    expected: { malformed_public_id: 1 },
    examples: () => ({ malformed_public_id: ["AEIOU"] }),
  },
  {
    name: "a duplicate public ID",
    breakState: async (client, ids) => {
      await client.query("alter table identity.accounts drop constraint accounts_public_id_key");
      await insertAccount(client, { legacyId: null, username: "casper", publicId: ids.get("bob") });
    },
    expected: { duplicate_public_id: 1 },
    examples: (ids) => ({ duplicate_public_id: [ids.get("bob")!] }),
  },
  {
    name: "a changed name without a report row",
    breakState: async (client) => {
      await client.query("insert into public.users values (13, 'Frank', now(), null)");
      await insertAccount(client, { legacyId: "13", username: "frank_2" });
    },
    expected: { missing_report_row: 1 },
    examples: () => ({ missing_report_row: ["13"] }),
  },
  {
    name: "a missing legacy name without a report row",
    breakState: async (client) => {
      await client.query("insert into public.users values (13, null, now(), null)");
      await insertAccount(client, { legacyId: "13", username: "user_q9" });
    },
    expected: { missing_report_row: 1 },
    examples: () => ({ missing_report_row: ["13"] }),
  },
  {
    // toLowerCase() would fold the Kelvin sign into "k" and call the name unchanged.
    name: "a name lower-cased beyond ASCII without a report row",
    breakState: async (client) => {
      await client.query("insert into public.users values (13, '\u212Aate', now(), null)");
      await insertAccount(client, { legacyId: "13", username: "kate" });
    },
    expected: { missing_report_row: 1 },
    examples: () => ({ missing_report_row: ["13"] }),
  },
  {
    name: "a report row removed",
    breakState: (client) =>
      client.query("delete from identity.migration_report where legacy_id = '10'"),
    expected: { missing_report_row: 1 },
    examples: () => ({ missing_report_row: ["10"] }),
  },
  {
    name: "a disabled never-deleted trigger",
    breakState: (client) =>
      client.query("alter table identity.accounts disable trigger accounts_never_deleted"),
    expected: { immutability_trigger_missing: 1 },
    examples: () => ({ immutability_trigger_missing: ["accounts_never_deleted (disabled)"] }),
  },
  {
    name: "a dropped identity-immutable trigger",
    breakState: (client) =>
      client.query("drop trigger accounts_identity_immutable on identity.accounts"),
    expected: { immutability_trigger_missing: 1 },
    examples: () => ({ immutability_trigger_missing: ["accounts_identity_immutable (missing)"] }),
  },
];

Deno.test("verifyInvariants() counts each kind of breach, one at a time", async (t) => {
  for (const breach of BREACH_CASES) {
    await t.step(`it finds ${breach.name}`, async () => {
      await using db = await createTestDatabase();
      await seedLegacy(db.url);
      const ids = await seedIdentity(db.url);
      const before = await verifyInvariants({ legacyUrl: db.url, identityUrl: db.url }, USERS);
      assert.deepEqual(breached(before.breaches), {});

      await withClient(db.url, (client) => breach.breakState(client, ids));
      const after = await verifyInvariants({ legacyUrl: db.url, identityUrl: db.url }, USERS);

      assert.equal(after.ok, false);
      assert.deepEqual(breached(after.breaches), breach.expected);
      for (const [kind, examples] of Object.entries(breach.examples(ids))) {
        assert.deepEqual(after.examples[kind as BreachKind], examples, kind);
      }
    });
  }
});

Deno.test("verifyInvariants() checks a username's shape, not the content policy of the day", async () => {
  await using db = await createTestDatabase();
  await seedLegacy(db.url);
  await seedIdentity(db.url);
  // Names a stricter policy refuses for new claims, but the database holds: grandfathered claims,
  // tombstones of the old form, generated names in what is now the system namespace.
  await withClient(db.url, async (client) => {
    await client.query(
      "update identity.accounts set username = 'admin' where username = 'native.one'",
    );
    await insertAccount(client, {
      legacyId: null,
      username: "adm1n",
      publicId: "cccccccccccccccc",
    });
    await insertAccount(client, {
      legacyId: null,
      username: "deleted_42",
      publicId: "dddddddddddddddd",
      status: "deleted",
    });
    await insertAccount(client, {
      legacyId: null,
      username: "user_bcdghjkmnp",
      publicId: "gggggggggggggggg",
    });
  });
  const result = await verifyInvariants({ legacyUrl: db.url, identityUrl: db.url }, USERS);
  assert.deepEqual(breached(result.breaches), {});
  assert.equal(result.ok, true);
});

Deno.test("verifyInvariants() walks text and uuid keys in their own order", async (t) => {
  const keys = {
    text: ["user-10", "user-9", "Z", "a", "ä", "user-100", "b b"],
    uuid: Array.from({ length: 7 }, () => crypto.randomUUID()),
  };
  for (const [type, ids] of Object.entries(keys)) {
    await t.step(`with ${type} keys in a configured table and columns`, async () => {
      await using db = await createTestDatabase();
      await migrate(db.url);
      const options: VerifyOptions = {
        legacyTable: { schema: "legacy", name: "members" },
        legacyColumns: { id: "member_key", username: "Handle" },
        batchSize: 2,
      };
      await withClient(db.url, async (client) => {
        await client.query("create schema legacy");
        await client.query(
          `create table legacy.members (member_key ${type} primary key, "Handle" text not null)`,
        );
        for (const [index, id] of ids.entries()) {
          await client.query("insert into legacy.members values ($1, $2)", [id, `Member${index}`]);
          await insertAccount(client, { legacyId: id, username: `member${index}` });
        }
      });
      const consistent = await verifyInvariants(
        { legacyUrl: db.url, identityUrl: db.url },
        options,
      );
      assert.equal(consistent.legacyRows, ids.length);
      assert.deepEqual(breached(consistent.breaches), {});

      const extra = type === "uuid" ? crypto.randomUUID() : "user-11";
      await withClient(db.url, async (client) => {
        await client.query("insert into legacy.members values ($1, 'Extra')", [extra]);
        await insertAccount(client, { legacyId: "no such key", username: "casper" });
      });
      const broken = await verifyInvariants({ legacyUrl: db.url, identityUrl: db.url }, options);

      assert.deepEqual(breached(broken.breaches), {
        legacy_row_without_account: 1,
        active_account_without_legacy_row: 1,
      });
      assert.deepEqual(broken.examples.legacy_row_without_account, [extra]);
      assert.deepEqual(broken.examples.active_account_without_legacy_row, ["no such key"]);
    });
  }
});

Deno.test("deno task verify reads the legacy and the identity database separately", async () => {
  // Neither database has the other's tables, so a query joining them could not even run.
  await using legacy = await createTestDatabase();
  await using identity = await createTestDatabase();
  await seedLegacy(legacy.url);
  await seedIdentity(identity.url);
  const env = { LEGACY_DATABASE_URL: legacy.url, IDENTITY_DATABASE_URL: identity.url };

  const consistent = await runVerifyCli(env);
  assert.equal(consistent.code, 0, consistent.stderr);
  assert.equal(consistent.report.legacy_rows, LEGACY_ROWS.length);

  await withClient(legacy.url, async (client) => {
    await client.query("insert into public.users values (13, 'frank', now(), null)");
    await client.query("delete from public.users where id = 11");
  });
  const broken = await runVerifyCli(env);

  assert.equal(broken.code, 1);
  assert.deepEqual(breached(broken.report.breaches), {
    legacy_row_without_account: 1,
    active_account_without_legacy_row: 1,
  });
});

Deno.test("verifyInvariants() pages through more rows than one default batch", async () => {
  await using db = await createTestDatabase();
  await migrate(db.url);
  const rows = 25_000;
  await withClient(db.url, async (client) => {
    await createUsersTable(client);
    await client.query(
      "insert into public.users select n, 'Member' || n, now(), null from generate_series(1, $1) n",
      [rows],
    );
    const publicIds = Array.from({ length: rows }, (_, i) => generatePublicId(seededRandom(-i)));
    await client.query(
      `insert into identity.accounts
         (legacy_id, public_id, username, username_skeleton, username_source)
       select n::text, ids[n], 'member' || n, 'member' || n, 'exact'
       from generate_series(1, $1) n, (select $2::text[] as ids) p`,
      [rows, publicIds],
    );
  });

  const result = await verifyInvariants(
    { legacyUrl: db.url, identityUrl: db.url },
    { ...USERS, batchSize: undefined },
  );

  assert.equal(result.legacyRows, rows);
  assert.equal(result.accounts, rows);
  assert.deepEqual(breached(result.breaches), {});
});

Deno.test("verifyInvariants() stops with a clear error when a side is missing", async (t) => {
  await using db = await createTestDatabase();

  await t.step("the legacy table", async () => {
    await assert.rejects(
      verifyInvariants({ legacyUrl: db.url, identityUrl: db.url }, USERS),
      (error: unknown) =>
        error instanceof VerifyError && error.kind === "legacy_table_missing" &&
        /the legacy table public.users does not exist/.test(error.message),
    );
  });
  await withClient(db.url, createUsersTable);
  await t.step("the username column", async () => {
    await assert.rejects(
      verifyInvariants({ legacyUrl: db.url, identityUrl: db.url }, {
        ...USERS,
        legacyColumns: { id: "id", username: "handle" },
      }),
      /has no username column "handle"/,
    );
  });
  await t.step("the identity schema", async () => {
    await assert.rejects(
      verifyInvariants({ legacyUrl: db.url, identityUrl: db.url }, USERS),
      (error: unknown) => error instanceof VerifyError && error.kind === "identity_schema_missing",
    );
  });
});

/** The daemon settings of the streamed runs: heartbeats keep the slot moving while idle. */
const STREAM_ENV = { HEARTBEAT_SECONDS: "1", SYNC_BATCH_MS: "50", SNAPSHOT_RANGE_SIZE: "100" };

async function sql(db: TestDatabase, text: string, values: unknown[] = []) {
  return await withClient(db.url, (client) => client.query(text, values));
}

/** The status of each account of `legacyIds`. */
async function statuses(db: TestDatabase, legacyIds: string[]): Promise<string[]> {
  const { rows } = await sql(
    db,
    "select status from identity.accounts where legacy_id = any($1::text[]) order by legacy_id",
    [legacyIds],
  );
  return rows.map((row) => row.status);
}

/**
 * A real run on `db`: messy legacy users through the snapshot, then the daemon streaming, in this
 * process. The stream has renamed legacy user 1 (its old name on hold) and tombstoned 3 (its
 * legacy row deleted, its name on hold), and a native account exists. Abort `stop` and await
 * `daemon` to end it.
 */
async function streamedRun(db: TestDatabase) {
  await seedLegacyUsers(db, 120);
  const { stop, daemon } = syncInProcess(db, STREAM_ENV);
  try {
    await waitFor(
      "the stream",
      async () =>
        (await sql(db, "select phase from identity.sync_state")).rows[0]?.phase === "streaming",
    );
    await sql(db, "update users set username = 'renamed.by.stream' where id = 1");
    await sql(db, "delete from users where id = 3");
    await waitFor("the rename and the tombstone", async () => {
      const { rows } = await sql(
        db,
        `select count(*)::int as n from identity.accounts
         where (legacy_id = '1' and username = 'renamed.by.stream')
            or (legacy_id = '3' and status = 'deleted')`,
      );
      return rows[0].n === 2;
    });
    await withClient(
      db.url,
      (client) => insertAccount(client, { legacyId: null, username: "native.one" }),
    );
  } catch (error) {
    stop.abort();
    await daemon;
    throw error;
  }
  return { stop, daemon };
}

/** Verifies `db` as the daemon's own configuration would, slot included. */
function verifyRun(db: TestDatabase) {
  const config = snapshotConfig(db, STREAM_ENV);
  return verifyInvariants({ legacyUrl: db.url, identityUrl: db.url }, {
    legacyTable: config.legacyTable,
    legacyColumns: config.legacyColumns,
    slotName: config.replication.slotName,
  });
}

/** A breach written by hand into a streamed run, what verify must name, and how to undo it. */
interface HandBreach {
  name: string;
  write: (client: pg.Client) => Promise<unknown>;
  expected: Partial<Record<BreachKind, number>>;
  examples: (client: pg.Client) => Promise<Partial<Record<BreachKind, string[]>>>;
  undo: (client: pg.Client) => Promise<unknown>;
}

async function publicIdOf(client: pg.Client, where: string): Promise<string> {
  return (await client.query(`select public_id from identity.accounts where ${where}`)).rows[0]
    .public_id;
}

/** The report row of the smallest legacy id that has one, as the snapshot wrote it. */
async function firstReported(client: pg.Client): Promise<string> {
  return (await client.query(
    "select legacy_id from identity.migration_report order by report_id limit 1",
  )).rows[0].legacy_id;
}

const HAND_BREACHES: HandBreach[] = [
  {
    name: "a report row written twice for one decision (a doubled apply)",
    write: (client) =>
      client.query(
        `insert into identity.migration_report (legacy_id, raw_value, tier, decision, reasons,
           username, source, source_lsn, resembles)
         select legacy_id, raw_value, tier, decision, reasons, username, source, source_lsn,
                resembles
         from identity.migration_report order by report_id limit 1`,
      ),
    expected: { duplicate_report_row: 1 },
    examples: async (client) => ({ duplicate_report_row: [await firstReported(client)] }),
    undo: (client) =>
      client.query(
        "delete from identity.migration_report where report_id = (select max(report_id) from identity.migration_report)",
      ),
  },
  {
    name: "a name held twice",
    write: async (client) => {
      await client.query("alter table identity.username_holds drop constraint username_holds_pkey");
      await client.query(
        `insert into identity.username_holds (username, account_id, reason, held_until)
         select username, account_id, reason, held_until from identity.username_holds h
         where account_id = (select account_id from identity.accounts where legacy_id = '1')`,
      );
    },
    expected: { duplicate_hold: 1 },
    examples: async (client) => {
      const holder = await publicIdOf(client, "legacy_id = '1'");
      return { duplicate_hold: [holder, holder] };
    },
    undo: async (client) => {
      await client.query(
        `delete from identity.username_holds h where ctid <> (
           select min(ctid) from identity.username_holds o where o.username = h.username)`,
      );
      await client.query("alter table identity.username_holds add primary key (username)");
    },
  },
  {
    name: "a name held while an active account has it",
    write: (client) =>
      client.query(
        `insert into identity.username_holds (username, account_id, reason, held_until)
         select 'renamed.by.stream', account_id, 'renamed', now() + interval '90 days'
         from identity.accounts where legacy_id = '3'`,
      ),
    expected: { held_username_in_use: 1 },
    examples: async (client) => ({
      held_username_in_use: [await publicIdOf(client, "legacy_id = '1'")],
    }),
    undo: (client) =>
      client.query("delete from identity.username_holds where username = 'renamed.by.stream'"),
  },
  {
    name: "an account set to deleted by hand while its legacy row exists",
    write: (client) =>
      client.query("update identity.accounts set status = 'deleted' where legacy_id = '2'"),
    expected: { tombstone_with_legacy_row: 1 },
    examples: () => Promise.resolve({ tombstone_with_legacy_row: ["2"] }),
    undo: (client) =>
      client.query("update identity.accounts set status = 'active' where legacy_id = '2'"),
  },
  {
    name: "a tombstone set active again by hand while its legacy row is gone",
    write: (client) =>
      client.query("update identity.accounts set status = 'active' where legacy_id = '3'"),
    expected: { active_account_without_legacy_row: 1 },
    examples: () => Promise.resolve({ active_account_without_legacy_row: ["3"] }),
    undo: (client) =>
      client.query("update identity.accounts set status = 'deleted' where legacy_id = '3'"),
  },
];

Deno.test("verifyInvariants() names each breach written by hand into a streamed run (issue 13, item 11)", async (t) => {
  await using db = await createTestDatabase();
  const { stop, daemon } = await streamedRun(db);
  try {
    await t.step(
      "a streamed run with a rename, a tombstone and a native account passes",
      async () => {
        const clean = await verifyRun(db);
        assert.deepEqual(breached(clean.breaches), {});
        assert.equal(clean.ok, true);
      },
    );
    for (const breach of HAND_BREACHES) {
      await t.step(`it names ${breach.name}`, async () => {
        await withClient(db.url, breach.write);
        const found = await verifyRun(db);
        const examples = await withClient(db.url, breach.examples);
        await withClient(db.url, breach.undo);

        assert.equal(found.ok, false);
        assert.deepEqual(breached(found.breaches), breach.expected);
        for (const [kind, ids] of Object.entries(examples)) {
          assert.deepEqual(found.examples[kind as BreachKind], ids, kind);
        }
        assert.deepEqual(breached((await verifyRun(db)).breaches), {}, "after the undo");
      });
    }
  } finally {
    stop.abort();
    await daemon;
  }
});

/** Whether a verify session is waiting for the slot (its last query read the slot's position). */
async function verifyWaitsForStream(db: TestDatabase): Promise<boolean> {
  const { rows } = await sql(
    db,
    `select count(*)::int as n from pg_stat_activity
     where application_name = 'identity-sync verify' and query like '%pg_replication_slots%'`,
  );
  return rows[0].n > 0;
}

Deno.test("verifyInvariants() counts no legacy change the stream has not applied yet", async () => {
  await using db = await createTestDatabase();
  const { stop, daemon } = await streamedRun(db);
  try {
    // The stream cannot write accounts while this transaction holds its lock: it lags.
    await withClient(db.url, async (blocker) => {
      await blocker.query("begin");
      await blocker.query("lock table identity.accounts in share mode");
      await sql(db, "delete from users where id = 4");
      await sql(db, "insert into users (id, username, created_at) values (3, 'back.again', now())");
      assert.deepEqual(await statuses(db, ["3", "4"]), ["deleted", "active"]);

      let finished = false;
      const verifying = verifyRun(db).finally(() => finished = true);
      await waitFor(
        "verify to wait for the stream",
        async () => finished || await verifyWaitsForStream(db),
      );
      await blocker.query("rollback");
      const result = await verifying;

      assert.deepEqual(breached(result.breaches), {});
      assert.equal(result.ok, true);
    });
    // The disagreement verify saw was the stream's lag: it has applied both changes since.
    assert.deepEqual(await statuses(db, ["3", "4"]), ["active", "deleted"]);
  } finally {
    stop.abort();
    await daemon;
  }
});
