/**
 * The snapshot's one-pass load: winners by one window function, drawn fallbacks kept once each,
 * the collided few left for the fallback pass, and the name-by-name load whenever one pass would
 * not be exact.
 */
import assert from "node:assert/strict";
import { assignFallbacks } from "../src/apply/assign_fallbacks.ts";
import { loadAccounts } from "../src/apply/load_accounts.ts";
import { migrate } from "../src/db/migrate.ts";
import pg from "../src/db/pg.ts";
import { inTransaction } from "../src/db/sessions.ts";
import { cryptoRandom, generatePublicId, type RandomSource } from "../src/policy/mod.ts";
import { loadInOnePass } from "../src/snapshot/load_in_one_pass.ts";
import { drawingHere } from "../src/snapshot/draw_fallbacks.ts";
import { SnapshotWorkers } from "../src/snapshot/snapshot_workers.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";

const RUN = "one_pass";

/** Every draw the same: `alex` always gives `alex_0000`, no base always `user_6666666666`. */
const zeros: RandomSource = (bytes) => new Uint8Array(bytes);

interface Staged {
  legacyId: string;
  tier: number | null;
  candidate: string | null;
  createdAt: string | null;
  reasons: string[];
}

async function stage(client: pg.ClientBase, rows: Staged[]): Promise<void> {
  for (const row of rows) {
    await client.query(
      `insert into identity.snapshot_rows (slot_name, range_no, legacy_id, legacy_int, tier,
         candidate, skeleton, base, reasons, raw_value, legacy_created_at, public_id, source_lsn)
       values ($1, 1, $2::text, $2::bigint, $3, $4::text, $4, $4, $5, coalesce($4, '?'), $6, $7, '0/100')`,
      [
        RUN,
        row.legacyId,
        row.tier,
        row.candidate,
        row.reasons,
        row.createdAt,
        generatePublicId(cryptoRandom),
      ],
    );
  }
}

async function accountsOf(client: pg.ClientBase): Promise<Record<string, string>> {
  const { rows } = await client.query<{ legacy_id: string; username: string; source: string }>(
    "select legacy_id, username, username_source as source from identity.accounts",
  );
  return Object.fromEntries(rows.map((r) => [r.legacy_id, `${r.username} ${r.source}`]));
}

/** The load's two sessions beside its transaction: one reads the losers, one stores fallbacks. */
async function withSessions<T>(
  db: TestDatabase,
  use: (sessions: { reader: pg.Client; writer: pg.Client }) => Promise<T>,
): Promise<T> {
  const reader = new pg.Client({ connectionString: db.url });
  const writer = new pg.Client({ connectionString: db.url });
  await Promise.all([reader.connect(), writer.connect()]);
  try {
    return await use({ reader, writer });
  } finally {
    await Promise.all([reader.end(), writer.end()]);
  }
}

Deno.test("one pass: a winner keeps its name, a fallback drawn twice goes to the better claimant, the others are left for the pass after", async () => {
  await using db = await createTestDatabase();
  await migrate(db.url);
  await withClient(db.url, async (client) => {
    await stage(client, [
      { legacyId: "1", tier: 1, candidate: "alex", createdAt: "2001-01-01", reasons: [] },
      { legacyId: "2", tier: 1, candidate: "alex", createdAt: "2002-01-01", reasons: [] },
      { legacyId: "3", tier: 2, candidate: "alex", createdAt: "2000-01-01", reasons: ["STYLIZED"] },
      // Its own name is the fallback every loser of "alex" draws: it keeps it.
      { legacyId: "4", tier: 1, candidate: "alex_0000", createdAt: "2009-01-01", reasons: [] },
      { legacyId: "5", tier: null, candidate: null, createdAt: "2004-01-01", reasons: ["PROFANE"] },
      { legacyId: "6", tier: null, candidate: null, createdAt: "2003-01-01", reasons: ["EMPTY"] },
    ]);
    // What a failed load of this run committed is drawn again; another run's stays.
    await client.query(
      `insert into identity.snapshot_fallbacks (slot_name, legacy_id, username, skeleton, reasons)
       values ($1, '2', 'stale_two', 'stale_two', '{}'), ($1, '5', 'stale_five', 'stale_five', '{}'),
              ('other_run', '9', 'kept', 'kept', '{}')`,
      [RUN],
    );
    // The load reads what its writer committed meanwhile, whatever the session's default level.
    await client.query("set default_transaction_isolation = 'repeatable read'");

    const loaded = await withSessions(
      db,
      (sessions) =>
        inTransaction(
          client,
          () => loadInOnePass(client, RUN, { drawer: drawingHere(zeros), ...sessions }),
        ),
    );

    await client.query("reset default_transaction_isolation");
    assert.ok(loaded, "the accounts were empty: one pass");
    const { rows: others } = await client.query(
      "select slot_name, username from identity.snapshot_fallbacks where slot_name <> $1",
      [RUN],
    );
    assert.deepEqual(others, [{ slot_name: "other_run", username: "kept" }]);
    assert.deepEqual(await accountsOf(client), {
      "1": "alex exact",
      "4": "alex_0000 exact",
      // Both drew user_6666666666; the older account gets it.
      "6": "user_6666666666 generated",
    });
    assert.equal(loaded.loaded, 3);
    assert.equal(loaded.leftovers, 3);
    assert.deepEqual(loaded.counts, {
      rows: 6,
      claimed: { exact: 2, normalized: 0, derived: 0 },
      fallbacks: 1,
      reasons: { EMPTY: 1 },
    });
    const { rows: indexes } = await client.query(
      "select count(*)::int as n from pg_index where indrelid = 'identity.accounts'::regclass",
    );
    assert.equal(indexes[0].n, 5, "the accounts' indexes are built again");

    // What is left goes name by name, as after a recovery's load.
    await inTransaction(client, async () => {
      const { assigned } = await assignFallbacks(client, client, RUN, {
        random: cryptoRandom,
        transaction: "caller",
      });
      assert.equal(assigned, 3);
      assert.deepEqual(await loadAccounts(client, RUN), { loaded: 3, bulk: false, stragglers: 0 });
    });
    const accounts = await accountsOf(client);
    assert.match(accounts["2"]!, /^alex_\d{4} generated$/);
    assert.match(accounts["3"]!, /^alex_\d{4} generated$/);
    assert.match(accounts["5"]!, /^user_[a-z0-9]{10} generated$/);
    assert.equal(new Set(Object.values(accounts)).size, 6);
    const { rows: report } = await client.query<{ legacy_id: string; reasons: string[] }>(
      `select legacy_id, decision, reasons from identity.migration_report order by legacy_id`,
    );
    assert.deepEqual(report, [
      { legacy_id: "2", decision: "fallback", reasons: ["TAKEN_BY_OLDER"] },
      { legacy_id: "3", decision: "fallback", reasons: ["STYLIZED", "TAKEN_BY_OLDER"] },
      { legacy_id: "5", decision: "fallback", reasons: ["PROFANE"] },
      { legacy_id: "6", decision: "fallback", reasons: ["EMPTY"] },
    ]);
  });
});

Deno.test("one pass only into empty accounts and before any name of the run is decided", async () => {
  await using db = await createTestDatabase();
  await migrate(db.url);
  await withClient(db.url, async (client) => {
    const row = { tier: 1, createdAt: null, reasons: [] };
    await stage(client, [{ ...row, legacyId: "1", candidate: "alex" }]);
    await client.query(
      `insert into identity.snapshot_names (slot_name, username, legacy_id, username_source,
         skeleton, decision, reasons)
       values ($1, 'alex', '1', 'exact', 'alex', 'exact', '{}')`,
      [RUN],
    );
    const decided = await withSessions(
      db,
      (sessions) =>
        inTransaction(
          client,
          () => loadInOnePass(client, RUN, { drawer: drawingHere(zeros), ...sessions }),
        ),
    );
    assert.equal(decided, null, "a name of the run was decided before");
    await client.query("delete from identity.snapshot_names");

    await client.query(
      `insert into identity.accounts (public_id, username, username_skeleton, username_source)
       values ($1, 'zed', 'zed', 'requested')`,
      [generatePublicId(cryptoRandom)],
    );
    const existing = await withSessions(
      db,
      (sessions) =>
        inTransaction(
          client,
          () => loadInOnePass(client, RUN, { drawer: drawingHere(zeros), ...sessions }),
        ),
    );
    assert.equal(existing, null, "an account was there");
    assert.deepEqual(await accountsOf(client), { null: "zed requested" });
  });
});

Deno.test("one pass: the snapshot's worker threads draw the fallbacks, each batch shared among them", async () => {
  await using db = await createTestDatabase();
  await migrate(db.url);
  await withClient(db.url, async (client) => {
    // One winner of "alex", 12,000 losers of it (a popular base: the wider suffix), 100 accounts
    // without a candidate, and "bob" won as a stylized name: more losers than three batches,
    // each batch shared by two threads.
    await client.query(
      `insert into identity.snapshot_rows (slot_name, range_no, legacy_id, legacy_int, tier,
         candidate, skeleton, base, reasons, raw_value, legacy_created_at, public_id, source_lsn)
       select $1, 1, n::text, n, r.tier, r.candidate, r.candidate, r.candidate, r.reasons, 'raw',
              timestamptz '2000-01-01' + n * interval '1 minute', ids.public_id, '0/100'
       from unnest($2::text[]) with ordinality as ids(public_id, n),
         lateral (select case when n <= 12001 then 1 when n = 12102 then 2 end as tier,
                         case when n <= 12001 then 'alex' when n = 12102 then 'bob' end
                           as candidate,
                         case when n <= 12001 then '{}'::text[]
                              when n = 12102 then '{STYLIZED}'
                              else '{PROFANE}' end as reasons) r`,
      [RUN, Array.from({ length: 12102 }, () => generatePublicId(cryptoRandom))],
    );
    const workers = new SnapshotWorkers(2);
    let loaded;
    try {
      assert.equal(workers.size, 2);
      loaded = await withSessions(
        db,
        (sessions) =>
          inTransaction(client, () => loadInOnePass(client, RUN, { drawer: workers, ...sessions })),
      );
    } finally {
      workers.close();
    }

    assert.ok(loaded, "the accounts were empty: one pass");
    const { leftovers } = loaded;
    assert.ok(leftovers < 100, `${leftovers} drawn fallbacks collided`);
    assert.equal(loaded.loaded, 12102 - leftovers);
    assert.deepEqual(loaded.counts.claimed, { exact: 1, normalized: 1, derived: 0 });
    assert.equal(loaded.counts.rows, 12102);
    assert.equal(loaded.counts.fallbacks, 12100 - leftovers);
    const { rows } = await client.query<{ kind: string; n: number; names: number }>(
      `select case when username ~ '^alex_[0-9]{6}$' then 'alex_NNNNNN'
                   when username ~ '^user_[a-z0-9]{10}$' then 'user_…'
                   else username end as kind,
              count(*)::int as n, count(distinct username)::int as names
       from identity.accounts
       group by 1 order by 1`,
    );
    assert.deepEqual(rows.map((r) => r.kind), ["alex", "alex_NNNNNN", "bob", "user_…"]);
    assert.ok(rows.every((r) => r.n === r.names), "every name once");
    const drawn = Object.fromEntries(rows.map((r) => [r.kind, r.n]));
    assert.ok(drawn["alex_NNNNNN"]! <= 12000 && drawn["user_…"]! <= 100);
    const { rows: report } = await client.query<{ decision: string; reasons: string; n: number }>(
      `select decision, array_to_string(reasons, ',') as reasons, count(*)::int as n
       from identity.migration_report group by 1, 2 order by 1, 2`,
    );
    assert.deepEqual(report, [
      { decision: "claimed", reasons: "STYLIZED", n: 1 },
      { decision: "fallback", reasons: "PROFANE", n: drawn["user_…"] },
      { decision: "fallback", reasons: "TAKEN_BY_OLDER", n: drawn["alex_NNNNNN"] },
    ]);
    assert.deepEqual(loaded.counts.reasons, {
      TAKEN_BY_OLDER: drawn["alex_NNNNNN"],
      PROFANE: drawn["user_…"],
      STYLIZED: 1,
    });
  });
});

Deno.test("snapshot worker threads: a draw that fails, and every draw after they are closed, fail", async () => {
  const workers = new SnapshotWorkers(2);
  try {
    const broken = { legacy_id: "1", base: null, lost: true, base_losers: "1" } as const;
    await assert.rejects(
      workers.draw([{ ...broken, reasons: null as unknown as [] }, { ...broken, reasons: [] }]),
      /not iterable/,
    );
    const fine = await workers.draw([{ ...broken, reasons: [] }]);
    assert.equal(fine.length, 1);
    assert.deepEqual(fine[0]![3], ["TAKEN_BY_OLDER"]);
  } finally {
    workers.close();
  }
  await assert.rejects(workers.draw([]), /closed/);
});
