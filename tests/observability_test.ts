import assert from "node:assert/strict";
import { METRIC_NAMES } from "../src/telemetry/metric_names.ts";
import { waitFor } from "./support/wait_for.ts";
import { runCli, seedLegacyUsers, spawnSync } from "./support/snapshot_fixture.ts";
import {
  createTestDatabase,
  ownServerDatabase,
  type TestDatabase,
  withClient,
} from "./support/test_database.ts";
import { freePort, startTestServer, suiteMajor } from "./support/test_server.ts";

/** `deno task sync` on `db`, serving its ops listener on `port` (and its API on `apiPort`). */
function spawnDaemon(db: TestDatabase, port: number, apiPort = 0): Deno.ChildProcess {
  return spawnSync(db, {
    OPS_HTTP_PORT: String(port),
    API_HTTP_PORT: String(apiPort),
    HEARTBEAT_SECONDS: "1",
    SYNC_BATCH_MS: "50",
    READY_MAX_LAG_SECONDS: "10",
  });
}

async function get(port: number, path: string) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, text: await response.text() };
}

/** The values of the samples of `name` whose labels include `labels`. */
function samples(metrics: string, name: string, labels = ""): number[] {
  return metrics.split("\n")
    .filter((line) =>
      (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && line.includes(labels)
    )
    .map((line) => Number(line.slice(line.lastIndexOf(" ") + 1)));
}

/** The value of the first sample of `name` whose labels include `labels`, if any. */
function sample(metrics: string, name: string, labels = ""): number | undefined {
  return samples(metrics, name, labels)[0];
}

/** The sum of every sample of `name`, whatever its labels. */
function total(metrics: string, name: string): number {
  return samples(metrics, name).reduce((sum, value) => sum + value, 0);
}

async function stopDaemon(daemon: Deno.ChildProcess) {
  daemon.kill("SIGTERM");
  assert.equal((await daemon.status).code, 0);
}

Deno.test("the daemon's /metrics, /healthz, /readyz and status move with the stream", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 300);
  const port = freePort();
  const apiPort = freePort();
  const daemon = spawnDaemon(db, port, apiPort);
  try {
    const ready = await waitFor("/readyz to answer 200", async () => {
      const answer = await get(port, "/readyz");
      return answer.status === 200 ? JSON.parse(answer.text) : undefined;
    });
    assert.equal(ready.state, "streaming");
    assert.ok(ready.apply_lag_seconds <= 10);
    assert.deepEqual(JSON.parse((await get(port, "/healthz")).text), { alive: true });
    // Two listeners: each path on its own only.
    assert.equal((await get(apiPort, "/v1/usernames/someone_new")).status, 200);
    for (const path of ["/metrics", "/healthz", "/readyz"]) {
      assert.equal((await get(apiPort, path)).status, 404, `${path} on the API listener`);
    }
    for (const path of ["/v1/usernames/someone_new", "/openapi.json"]) {
      assert.equal((await get(port, path)).status, 404, `${path} on the ops listener`);
    }

    // The slot is polled every few seconds, the accounts counted once streaming starts: wait
    // for both to report after the snapshot.
    const before = await waitFor("the slot's WAL status and the account counts", async () => {
      const text = (await get(port, "/metrics")).text;
      const polled = sample(text, METRIC_NAMES.slotWalStatus, 'status="reserved"') === 1 &&
        sample(text, METRIC_NAMES.accounts, 'username_source="exact"') !== undefined;
      return polled ? text : undefined;
    });
    assert.equal(sample(before, METRIC_NAMES.up), 1);
    assert.equal(sample(before, METRIC_NAMES.snapshotProgress), 1);
    assert.equal(sample(before, METRIC_NAMES.snapshotRows), 300);
    assert.equal(sample(before, METRIC_NAMES.deadLetters), 0);
    assert.equal(sample(before, METRIC_NAMES.slotWalStatus, 'status="reserved"'), 1);
    assert.equal(sample(before, METRIC_NAMES.slotWalStatus, 'status="lost"'), 0);
    assert.ok(sample(before, METRIC_NAMES.replicationLagBytes)! >= 0);
    assert.ok(sample(before, METRIC_NAMES.applyLagSeconds)! <= 10);
    // Counted after the snapshot: every account it loaded.
    assert.equal(total(before, METRIC_NAMES.accounts), 300);
    // No max_slot_wal_keep_size: nothing limits the slot, so no safe WAL figure is reported.
    assert.equal(sample(before, METRIC_NAMES.slotSafeWalBytes), undefined);
    const inserts = sample(before, METRIC_NAMES.eventsApplied, 'op="insert"') ?? 0;
    const batches = sample(before, `${METRIC_NAMES.batchDuration}_count`) ?? 0;

    await withClient(db.url, (client) =>
      client.query(
        `insert into users (id, username, created_at)
         select 100000 + i, 'observed_' || i, now() from generate_series(1, 3) i`,
      ));
    await withClient(db.url, (client) => client.query("truncate users"));
    const after = await waitFor("the insert and the truncate to be counted", async () => {
      const text = (await get(port, "/metrics")).text;
      const counted = sample(text, METRIC_NAMES.eventsApplied, 'op="insert"') === inserts + 3 &&
        sample(text, METRIC_NAMES.deadLetters) === 1;
      return counted ? text : undefined;
    });
    assert.equal(sample(after, METRIC_NAMES.eventsApplied, 'op="truncate"'), 1);
    assert.ok(sample(after, `${METRIC_NAMES.batchDuration}_count`)! > batches);

    const status = await runCli(db, ["status", "--json"]);
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout);
    assert.equal(report.phase, "streaming");
    assert.equal(report.slot.exists, true);
    assert.equal(report.slot.wal_status, "reserved");
    assert.equal(report.snapshot.progress_ratio, 1);
    assert.equal(report.snapshot.rows_read, 300);
    assert.deepEqual(report.dead_letters, { unresolved: 1, total: 1 });
    assert.ok(report.stream.apply_lag_seconds < 10);

    const table = await runCli(db, ["status"]);
    assert.match(table.stdout, /^phase +streaming$/m);
  } finally {
    await stopDaemon(daemon);
  }
});

Deno.test({
  name: "/readyz turns 503 and identity_sync_up 0 when the legacy server stops",
  // The embedded server of its own installs exit hooks (signal listeners) that outlive it.
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const major = suiteMajor();
  const server = await startTestServer(major);
  const db = ownServerDatabase(server.url, "readyz");
  const port = freePort();
  let daemon: Deno.ChildProcess | undefined;
  try {
    await seedLegacyUsers(db, 100);
    daemon = spawnDaemon(db, port);
    await waitFor(
      "/readyz to answer 200",
      async () => (await get(port, "/readyz")).status === 200 ? true : undefined,
    );
    await server.stop();
    const down = await waitFor("/readyz to answer 503", async () => {
      const answer = await get(port, "/readyz");
      return answer.status === 503 ? JSON.parse(answer.text) : undefined;
    });
    assert.equal(down.ready, false);
    assert.match(down.reason, /reconnecting/);
    assert.equal(sample((await get(port, "/metrics")).text, METRIC_NAMES.up), 0);
    assert.equal((await get(port, "/healthz")).status, 200);
  } finally {
    if (daemon) {
      daemon.kill("SIGTERM");
      await daemon.status;
    }
    await server.stop().catch(() => {});
  }
});
