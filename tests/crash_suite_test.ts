/**
 * The crash suite: while a load generator writes to the legacy table (inserts, renames, deletes,
 * display names, new users asking for names others have), the daemon (snapshot, then stream) is
 * killed with SIGKILL at random moments and started again. At the end every legacy row has
 * exactly one account that mirrors its latest state, no public ID ever changed, and verify
 * passes. `CRASH_KILLS` sets the number of kills (5 in the normal suite; `deno task test:crash`
 * runs 25).
 */
import assert from "node:assert/strict";
import { escapeReportValue } from "../src/apply/report_value.ts";
import { changeLegacyUsers } from "../src/demo/legacy_users.ts";
import { seededRandom } from "../src/policy/mod.ts";
import { seedLegacyUsers, spawnSync, verifyDatabase } from "./support/snapshot_fixture.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { storedDisplayName } from "./support/stored_display_name.ts";

const KILLS = Number(Deno.env.get("CRASH_KILLS") ?? "5");
const SEED = Number(Deno.env.get("CRASH_SEED") ?? "20261128");
const ENV = {
  HEARTBEAT_SECONDS: "1",
  SYNC_BATCH_MS: "30",
  SYNC_BATCH_CHANGES: "200",
  SNAPSHOT_RANGE_SIZE: "1000",
  SNAPSHOT_WORKERS: "2",
};

/** A reproducible stream of numbers in [0, 1). */
function uniform(seed: number): () => number {
  const bytes = seededRandom(seed);
  return () => new DataView(bytes(4).buffer).getUint32(0) / 2 ** 32;
}

function spawnDaemon(db: TestDatabase): Deno.ChildProcess {
  return spawnSync(db, ENV);
}

/** Writes to the legacy table in small transactions until stopped; counts what it did. */
function startLoad(db: TestDatabase, random: () => number) {
  let stopped = false;
  let changes = 0;
  let nextId = 1_000_000;
  const done = withClient(db.url, async (client) => {
    for (let round = 1; !stopped; round++) {
      const pick = random();
      if (pick < 0.6) {
        const result = await changeLegacyUsers(client, {
          renames: 3,
          deletes: 1,
          inserts: 3,
          firstNewId: nextId,
          seed: round,
        });
        nextId += 3;
        changes += result.renamed + result.deleted + result.inserted;
      } else if (pick < 0.8) {
        // New users asking for names that others have (in another case): contested.
        const { rowCount } = await client.query(
          `insert into users (id, username, created_at)
           select $1 + row_number() over () - 1, upper(username), now() - interval '1 day'
           from (select username from users where username is not null
                 order by hashint4(id::int # $2) limit 2) taken`,
          [nextId, round],
        );
        nextId += 2;
        changes += rowCount ?? 0;
      } else {
        const { rowCount } = await client.query(
          `update users set display_name = 'load ' || $1
           where id in (select id from users order by hashint4(id::int # $1) limit 5)`,
          [round],
        );
        changes += rowCount ?? 0;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
  return {
    changes: () => changes,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

/** Legacy rows without exactly one account mirroring their latest state, and the reasons. */
async function mirrorBreaches(db: TestDatabase): Promise<string[]> {
  return await withClient(db.url, async (client) => {
    const { rows } = await client.query(
      `select coalesce(u.id::text, a.legacy_id) as legacy_id,
              case
                when a.legacy_id is null then 'no account'
                when u.id is null and a.status <> 'deleted' then 'not tombstoned'
                when u.id is not null and a.status <> 'active' then 'not active'
                when u.id is not null and a.legacy_created_at is distinct from u.created_at
                  then 'created_at'
              end as breach,
              u.id is not null as present, u.username, a.legacy_username,
              u.display_name as legacy_display_name, a.display_name,
              a.username as account_username,
              a.source_lsn::text as source_lsn, a.updated_at
       from users u
       full join identity.accounts a on a.legacy_id = u.id::text
       where a.legacy_id is not null or u.id is not null`,
    );
    // The account keeps the legacy username as the report does (escaped), and the display name
    // as the policy cleans it.
    const breach = (row: (typeof rows)[number]) =>
      row.breach ??
        (row.present && escapeReportValue(row.username) !== row.legacy_username
          ? "legacy username"
          : row.present && row.display_name !== storedDisplayName(row.legacy_display_name)
          ? "display name"
          : null);
    return rows.filter((row) => breach(row) !== null).map((row) =>
      `${row.legacy_id}: ${breach(row)} ${
        JSON.stringify([row.username, row.legacy_username, row.account_username, row.source_lsn])
      }`
    );
  });
}

async function publicIds(db: TestDatabase): Promise<Map<string, string>> {
  const { rows } = await withClient(
    db.url,
    (client) =>
      client.query(
        "select legacy_id, public_id from identity.accounts where legacy_id is not null",
      ),
  );
  return new Map(rows.map((row) => [row.legacy_id, row.public_id]));
}

Deno.test(`the daemon killed ${KILLS} times under load loses nothing and changes no public ID`, async () => {
  await using db = await createTestDatabase();
  // Enough rows that the first kills land in the snapshot, few enough that later ones land in
  // the stream.
  await seedLegacyUsers(db, 6_000, { seed: 5 });
  const random = uniform(SEED);
  const load = startLoad(db, random);
  const seen = new Map<string, string>();
  const phases = new Map<string, number>();
  let kills = 0;
  try {
    while (kills < KILLS) {
      const daemon = spawnDaemon(db);
      // The first third lands early (start-up, slot creation, the snapshot's phases), which also
      // interrupts the snapshot again and again; later ones give it time to finish, so that they
      // land in the stream too.
      const early = kills < KILLS / 3;
      await new Promise((resolve) =>
        setTimeout(resolve, early ? 300 + random() * 2_700 : 1_500 + random() * 6_000)
      );
      daemon.kill("SIGKILL");
      const status = await daemon.status;
      assert.equal(status.signal, "SIGKILL", `the daemon exited by itself (code ${status.code})`);
      kills++;
      const phase = await withClient(
        db.url,
        async (client) =>
          (await client.query("select phase from identity.sync_state")).rows[0]?.phase ?? "none",
      ).catch(() => "none");
      phases.set(phase, (phases.get(phase) ?? 0) + 1);
      for (const [legacyId, publicId] of await publicIds(db).catch(() => new Map())) {
        const before = seen.get(legacyId);
        assert.ok(before === undefined || before === publicId, `public ID of ${legacyId} changed`);
        seen.set(legacyId, publicId);
      }
    }
  } finally {
    await load.stop();
  }
  // A last run catches up with everything the load wrote, then stops cleanly.
  const daemon = spawnDaemon(db);
  try {
    const deadline = Date.now() + 60_000;
    let breaches = await mirrorBreaches(db).catch(() => ["not migrated"]);
    while (breaches.length > 0) {
      if (Date.now() > deadline) {
        const ids = breaches.slice(0, 5).map((breach) => breach.split(":")[0]!);
        const details = await withClient(db.url, async (client) => ({
          accounts: (await client.query(
            "select *, source_lsn::text from identity.accounts where legacy_id = any($1)",
            [ids],
          )).rows,
          reports: (await client.query(
            "select *, source_lsn::text from identity.migration_report where legacy_id = any($1) order by report_id",
            [ids],
          )).rows,
          deadLetters: (await client.query(
            "select * from identity.dead_letters where legacy_id = any($1)",
            [ids],
          )).rows,
          state: (await client.query(
            "select *, last_applied_lsn::text, partial_lsn::text from identity.sync_state",
          )).rows,
        }));
        assert.fail(
          `not mirrored after 60 s: ${breaches.slice(0, 10)}\n${JSON.stringify(details, null, 1)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      breaches = await mirrorBreaches(db).catch(() => ["not migrated"]);
    }
  } finally {
    daemon.kill("SIGTERM");
    assert.equal((await daemon.status).code, 0);
  }
  const final = await publicIds(db);
  for (const [legacyId, publicId] of seen) {
    assert.equal(final.get(legacyId), publicId, `public ID of ${legacyId} changed`);
  }
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
  const checked = await withClient(
    db.url,
    async (client) => (await client.query("select count(*)::int as n from users")).rows[0].n,
  );
  console.log(
    `crash suite: survived ${kills} SIGKILLs (sync_state phase after each: ${
      JSON.stringify(Object.fromEntries(phases))
    }); ${load.changes()} legacy changes made under load; ${checked} legacy rows checked, ${final.size} public IDs unchanged`,
  );
});
