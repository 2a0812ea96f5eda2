/**
 * A failover of the legacy primary (issue 14, item 2). On PostgreSQL 17+ the slot is a failover
 * slot (`SLOT_FAILOVER`), synchronized to a real physical standby: the primary crashes under load,
 * the standby is promoted, and the daemon, pointed at it, streams on from the synchronized slot
 * with nothing lost or doubled and no new snapshot. Before 17 the daemon says at start-up that a
 * failover will need the lost-slot recovery. On every major, a server whose WAL ends before what
 * is already applied (a failover that lost changes, or another server) stops the daemon.
 */
import assert from "node:assert/strict";
import { METRIC_NAMES } from "../src/telemetry/metric_names.ts";
import { verifyInvariants } from "../src/verify/verify_invariants.ts";
import { logOf, metricAt } from "./support/daemon_output.ts";
import { startLegacyLoad } from "./support/legacy_load.ts";
import { mismatchesAcross, publicIds } from "./support/mirror_state.ts";
import { startPrimaryAndStandby } from "./support/physical_standby.ts";
import { runCli, seedLegacyUsers, snapshotConfig, spawnSync } from "./support/snapshot_fixture.ts";
import {
  createTestDatabase,
  ownServerDatabase,
  type TestDatabase,
  withClient,
} from "./support/test_database.ts";
import { freePort, suiteMajor } from "./support/test_server.ts";
import { waitFor, waitForPhase } from "./support/wait_for.ts";

const ENV = {
  HEARTBEAT_SECONDS: "1",
  SYNC_BATCH_MS: "20",
  SYNC_BATCH_CHANGES: "50",
  SNAPSHOT_RANGE_SIZE: "500",
  LOG_LEVEL: "info",
};

/** One row of `sql` on `url`. */
async function one(url: string, sql: string, values: unknown[] = []) {
  const { rows } = await withClient(url, (client) => client.query(sql, values));
  return rows[0];
}

/** `deno task status --json` of the run whose legacy table is in `legacy`. */
async function status(legacy: TestDatabase, identity: TestDatabase) {
  const { code, stdout, stderr } = await runCli(legacy, ["status", "--json"], {
    IDENTITY_DATABASE_URL: identity.url,
  });
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout);
}

/** SIGTERMs `child` and asserts a clean exit. */
async function stop(child: Deno.ChildProcess, lines: string[]): Promise<void> {
  child.kill("SIGTERM");
  const { code } = await child.status;
  assert.equal(code, 0, lines.slice(-15).join("\n"));
}

Deno.test({
  name:
    "PostgreSQL 17+: the legacy primary fails over to its standby under load; the daemon streams on from the synchronized slot, no snapshot, nothing lost or doubled",
  ignore: suiteMajor() < 17,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const servers = await startPrimaryAndStandby(suiteMajor());
  await using identity = await createTestDatabase();
  const primary = ownServerDatabase(servers.primaryUrl, "failover");
  const promoted = ownServerDatabase(servers.standbyUrl, "failover");
  const slotName = snapshotConfig(primary).replication.slotName;
  const env = { ...ENV, IDENTITY_DATABASE_URL: identity.url };
  let daemon: Deno.ChildProcess | undefined;
  let load: ReturnType<typeof startLegacyLoad> | undefined;
  try {
    await seedLegacyUsers(primary, 1_000);

    // SLOT_FAILOVER=false: the slot is made without failover; the operator chose that, so no
    // metric says a failover would lose it (the alert would never stop).
    let port = freePort();
    daemon = spawnSync(primary, { ...env, SLOT_FAILOVER: "false", OPS_HTTP_PORT: String(port) }, {
      stderr: "piped",
    });
    let log = logOf(daemon);
    await waitFor(
      "the snapshot and the stream",
      async () => (await mismatchesAcross(primary, identity).catch(() => -1)) === 0,
      { timeoutMs: 90_000 },
    );
    const slot = () =>
      one(servers.primaryUrl, "select * from pg_replication_slots where slot_name = $1", [
        slotName,
      ]);
    assert.equal((await slot()).failover, false);
    await waitFor(
      "the slot's first poll",
      async () => (await metricAt(port, METRIC_NAMES.replicationLagBytes)) !== undefined,
      { timeoutMs: 30_000 },
    );
    assert.equal(await metricAt(port, METRIC_NAMES.slotFailoverReady), undefined);
    await stop(daemon, log.lines);
    // Asked with the default, status names why a failover would lose this slot.
    let reported = await status(primary, identity);
    assert.equal(reported.slot.failover_ready, false);
    assert.match(reported.slot.failover_problem, /failover = false/);

    // The default, SLOT_FAILOVER=true, turns the property on before streaming.
    port = freePort();
    daemon = spawnSync(primary, { ...env, OPS_HTTP_PORT: String(port) }, { stderr: "piped" });
    log = logOf(daemon);
    await log.waitFor("set to failover = true", { timeoutMs: 60_000 });
    assert.equal((await slot()).failover, true);
    await waitFor(
      "the failover metric to say ready",
      async () => (await metricAt(port, METRIC_NAMES.slotFailoverReady)) === 1,
      { timeoutMs: 30_000 },
    );
    reported = await status(primary, identity);
    assert.equal(reported.slot.failover_ready, true, JSON.stringify(reported.slot));

    // Under load, the standby synchronizes the slot: persistent once the daemon has confirmed a
    // position past the standby's own starting point.
    let legacyUrl = servers.primaryUrl;
    load = startLegacyLoad(() => legacyUrl);
    await waitFor("the standby to synchronize the slot", async () => {
      const copy = await one(
        servers.standbyUrl,
        "select synced, temporary, invalidation_reason from pg_replication_slots where slot_name = $1",
        [slotName],
      );
      return copy?.synced === true && copy.temporary === false && copy.invalidation_reason === null;
    }, { timeoutMs: 120_000 });
    const loaded = load.committed;
    await waitFor("load applied before the failover", async () => {
      const { n } = await one(
        identity.url,
        "select count(*)::int as n from identity.accounts where display_name like 'load %'",
      );
      return load!.committed >= loaded + 5 && n > 0;
    }, { timeoutMs: 60_000 });
    const idsBefore = await publicIds(identity);
    const runBefore = await one(
      identity.url,
      `select snapshot_started_at, snapshot_finished_at, consistent_point::text
       from identity.sync_state where slot_name = $1`,
      [slotName],
    );

    // The primary is lost with the load running; the daemon can only reconnect.
    await servers.crashPrimary();
    const committedAtCrash = load.committed;
    await log.waitFor("reconnecting in", { timeoutMs: 30_000 });
    await servers.promoteStandby();
    legacyUrl = servers.standbyUrl;
    await stop(daemon, log.lines);

    // The daemon pointed at the promoted standby: the same slot, the stored checkpoint.
    port = freePort();
    daemon = spawnSync(promoted, { ...env, OPS_HTTP_PORT: String(port) }, { stderr: "piped" });
    log = logOf(daemon);
    await waitFor(
      "load committed on the promoted standby",
      () => Promise.resolve(load!.committed >= committedAtCrash + 5),
      { timeoutMs: 60_000 },
    );
    const { failed } = await load.stop();
    load = undefined;
    assert.ok(failed > 0, "the crash cut the load: it ran through the failover");
    await waitFor(
      "the daemon to catch up on the promoted standby",
      async () => (await mismatchesAcross(promoted, identity).catch(() => -1)) === 0,
      { timeoutMs: 90_000 },
    );

    const after = await one(
      servers.standbyUrl,
      "select active, synced, failover from pg_replication_slots where slot_name = $1",
      [slotName],
    );
    assert.deepEqual(after, { active: true, synced: true, failover: true });
    const runAfter = await one(
      identity.url,
      `select phase, snapshot_started_at, snapshot_finished_at, consistent_point::text
       from identity.sync_state where slot_name = $1`,
      [slotName],
    );
    assert.deepEqual(runAfter, { ...runBefore, phase: "streaming" }, "no new snapshot");
    assert.ok(
      !log.lines.some((line) => line.includes("running it first")),
      "the daemon ran no snapshot",
    );
    const idsAfter = await publicIds(identity);
    for (const [legacyId, publicId] of idsBefore) {
      assert.equal(idsAfter.get(legacyId), publicId, `public ID of ${legacyId} changed`);
    }
    const config = snapshotConfig(promoted);
    const verified = await verifyInvariants({
      legacyUrl: promoted.url,
      identityUrl: identity.url,
    }, {
      legacyTable: config.legacyTable,
      legacyColumns: config.legacyColumns,
      slotName,
    });
    assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
    await stop(daemon, log.lines);
    daemon = undefined;
  } finally {
    await load?.stop();
    if (daemon) {
      daemon.kill("SIGKILL");
      await daemon.status;
    }
    await servers.stop();
  }
});

Deno.test({
  name:
    "a legacy server whose WAL ends before what is applied stops the daemon; before 17 it says a failover needs a new snapshot",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 200);
  const first = spawnSync(db, ENV, { stderr: "piped" });
  const firstLog = logOf(first);
  await waitForPhase(db.url, "streaming", { timeoutMs: 60_000 });
  await stop(first, firstLog.lines);
  const before = snapshotConfig(db).replication.slotName;
  // The checkpoint of a server that was ahead: what a failover to a standby lacking it leaves.
  await withClient(db.url, (client) =>
    client.query(
      "update identity.sync_state set last_applied_lsn = 'FFFF/0' where slot_name = $1",
      [before],
    ));
  const second = spawnSync(db, ENV, { stderr: "piped" });
  const log = logOf(second);
  const { code } = await second.status;
  await log.done;
  assert.equal(code, 1, log.lines.slice(-10).join("\n"));
  const stopped = log.lines.filter((line) =>
    line.includes("changes up to FFFF/0 are applied but the legacy server's WAL ends at")
  );
  assert.equal(stopped.length, 1, log.lines.slice(-10).join("\n"));
  assert.ok(!log.lines.some((line) => line.includes("reconnecting in")), "not retried");
  const warned = log.lines.some((line) => line.includes("keeps no slot over a failover"));
  assert.equal(warned, suiteMajor() < 17);
});
