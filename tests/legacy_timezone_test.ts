/**
 * Zone-less legacy creation times (`timestamp without time zone`, `date`) mean the same instant
 * whichever path reads them: the snapshot (in a legacy session) and the stream (applied in an
 * identity session) both read them in `LEGACY_TIMEZONE`, whatever `TimeZone` either session has.
 * The two databases here default to different zones, as in issue 13's report (legacy
 * America/New_York, identity Asia/Tokyo), and to different date orders.
 */
import assert from "node:assert/strict";
import { runSync } from "../src/sync/run_sync.ts";
import { snapshotConfig } from "./support/snapshot_fixture.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { waitFor } from "./support/wait_for.ts";

interface Case {
  type: "timestamp without time zone" | "date";
  /** LEGACY_TIMEZONE; undefined leaves the default (UTC). */
  zone?: string;
  /** Legacy value → the instant it must be stored as, in UTC. */
  summer: [string, string];
  winter: [string, string];
  /** What the stream changes row 2's creation time to. */
  updated: [string, string];
}

const CASES: Case[] = [
  {
    type: "timestamp without time zone",
    summer: ["2020-06-01 12:00:00", "2020-06-01 12:00:00"],
    winter: ["1969-01-15 23:30:00.123456", "1969-01-15 23:30:00.123456"],
    updated: ["2021-03-14 09:00:00", "2021-03-14 09:00:00"],
  },
  {
    type: "timestamp without time zone",
    zone: "America/New_York",
    summer: ["2020-06-01 12:00:00", "2020-06-01 16:00:00"],
    winter: ["1969-01-15 23:30:00.123456", "1969-01-16 04:30:00.123456"],
    updated: ["2021-03-14 09:00:00", "2021-03-14 13:00:00"],
  },
  {
    type: "date",
    summer: ["2020-06-01", "2020-06-01 00:00:00"],
    winter: ["1969-01-15", "1969-01-15 00:00:00"],
    updated: ["2021-03-14", "2021-03-14 00:00:00"],
  },
  {
    type: "date",
    zone: "America/New_York",
    summer: ["2020-06-01", "2020-06-01 04:00:00"],
    winter: ["1969-01-15", "1969-01-15 05:00:00"],
    // The day summer time starts, after midnight: midnight itself is still EST.
    updated: ["2021-03-14", "2021-03-14 05:00:00"],
  },
];

/** Each account's legacy creation time, in UTC, by legacy id. */
async function storedInstants(identity: TestDatabase): Promise<Record<string, string | null>> {
  const { rows } = await withClient(
    identity.url,
    (client) =>
      client.query<{ legacy_id: string; utc: string | null }>(
        `select legacy_id, (legacy_created_at at time zone 'UTC')::text as utc
       from identity.accounts order by legacy_id`,
      ),
  );
  return Object.fromEntries(rows.map((row) => [row.legacy_id, row.utc]));
}

Deno.test("zone-less creation times are read in LEGACY_TIMEZONE by the snapshot and the stream alike", async (t) => {
  for (const c of CASES) {
    await t.step(`${c.type}, LEGACY_TIMEZONE ${c.zone ?? "unset (UTC)"}`, async () => {
      await using legacy = await createTestDatabase();
      await using identity = await createTestDatabase();
      await withClient(legacy.url, async (client) => {
        await client.query(`alter database ${legacy.name} set timezone = 'America/New_York'`);
        await client.query(`alter database ${legacy.name} set datestyle = 'SQL, DMY'`);
        await client.query(
          `create table users (id bigint primary key, username text, created_at ${c.type})`,
        );
        await client.query(
          `insert into users values (1, 'summer.one', $1), (2, 'winter.two', $2), (3, 'none', null)`,
          [c.summer[0], c.winter[0]],
        );
      });
      await withClient(
        identity.url,
        (client) => client.query(`alter database ${identity.name} set timezone = 'Asia/Tokyo'`),
      );

      const stop = new AbortController();
      const daemon = runSync({
        config: snapshotConfig(legacy, {
          IDENTITY_DATABASE_URL: identity.url,
          LEGACY_DISPLAY_NAME_COLUMN: "",
          SYNC_BATCH_MS: "20",
          ...(c.zone ? { LEGACY_TIMEZONE: c.zone } : {}),
        }),
        legacyUrl: legacy.url,
        identityUrl: identity.url,
        signal: stop.signal,
      });
      // A daemon that stops fails the step at once instead of leaving the waits to time out.
      const stopped = daemon.then(() => {
        throw new Error("the daemon stopped");
      });
      stopped.catch(() => {});
      const until = <T>(what: string, probe: () => Promise<T | false>) =>
        Promise.race([waitFor(what, probe), stopped]);
      try {
        await waitFor(
          "the snapshot",
          async () => Object.keys(await storedInstants(identity)).length === 3,
        );
        // What the snapshot read.
        assert.deepEqual(await storedInstants(identity), {
          "1": c.summer[1],
          "2": c.winter[1],
          "3": null,
        });
        await withClient(legacy.url, async (client) => {
          // The same legacy value as row 1, now through the stream.
          await client.query("insert into users values (4, 'summer.four', $1)", [c.summer[0]]);
          await client.query("update users set created_at = $1 where id = 2", [c.updated[0]]);
          await client.query("update users set created_at = $1 where id = 3", [c.winter[0]]);
        });
        const expected = {
          "1": c.summer[1],
          "2": c.updated[1],
          "3": c.winter[1],
          "4": c.summer[1],
        };
        const streamed = await until("the stream", async () => {
          const stored = await storedInstants(identity);
          return stored["4"] !== undefined && stored["3"] !== null ? stored : false;
        });
        assert.deepEqual(streamed, expected);
      } finally {
        stop.abort();
        await daemon.catch(() => {});
      }
    });
  }
});

Deno.test("a LEGACY_TIMEZONE that PostgreSQL does not read as the IANA zone stops the start", async (t) => {
  await using db = await createTestDatabase();
  await withClient(
    db.url,
    (client) =>
      client.query("create table users (id bigint primary key, username text, created_at date)"),
  );
  // Intl knows both; PostgreSQL knows no "AET", and reads "IST" as Israel's abbreviation.
  for (const zone of ["AET", "IST"]) {
    await t.step(zone, async () => {
      await assert.rejects(
        runSync({
          config: snapshotConfig(db, { LEGACY_DISPLAY_NAME_COLUMN: "", LEGACY_TIMEZONE: zone }),
          legacyUrl: db.url,
          identityUrl: db.url,
          signal: new AbortController().signal,
        }),
        (error: Error) => {
          assert.match(
            error.message,
            new RegExp(`^Cannot read legacy creation times: .*LEGACY_TIMEZONE="${zone}"`),
          );
          assert.ok(!error.message.includes("\n"));
          return true;
        },
      );
    });
  }
});
