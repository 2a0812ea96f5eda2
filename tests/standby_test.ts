/**
 * Hot standby daemons (issue 14, item 1): any number of `deno task sync` processes on one slot,
 * one streaming and the others standing by (`/readyz`, `deno task status`, a metric) without
 * warnings; a SIGKILLed leader is replaced within `STANDBY_TAKEOVER_SECONDS` under load, and a
 * SIGSTOPped one, its batch open under the apply lock, once `wal_sender_timeout` ends its
 * walsender; resumed, it commits nothing and stands by. Nothing is lost or applied twice, no
 * public ID changes and the checkpoint never moves back.
 */
import assert from "node:assert/strict";
import { APPLY_LOCK_KEY, lockApply } from "../src/apply/apply_lock.ts";
import { migrate } from "../src/db/migrate.ts";
import { compareLsn } from "../src/db/lsn.ts";
import { changeLegacyUsers } from "../src/demo/legacy_users.ts";
import {
  CheckpointMoved,
  holdCheckpoint,
  storeCheckpoint,
  type SyncCheckpoint,
} from "../src/sync/checkpoint.ts";
import { METRIC_NAMES } from "../src/telemetry/metric_names.ts";
import { holdLocks, waitBlockedBy } from "./support/held_kill.ts";
import { publicIds, waitForMirror } from "./support/mirror_state.ts";
import { logOf, metricAt } from "./support/daemon_output.ts";
import { runCli, seedLegacyUsers, spawnSync, verifyDatabase } from "./support/snapshot_fixture.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { freePort } from "./support/test_server.ts";
import { waitFor } from "./support/wait_for.ts";

/** The default `STANDBY_TAKEOVER_SECONDS`: the daemons here run with it. */
const TAKEOVER_SECONDS = 10;
const ENV = {
  HEARTBEAT_SECONDS: "1",
  SYNC_BATCH_MS: "50",
  SYNC_BATCH_CHANGES: "200",
  SNAPSHOT_RANGE_SIZE: "1000",
  SNAPSHOT_WORKERS: "1",
  // Warnings too: a daemon standing by must log none.
  LOG_LEVEL: "info",
  // Without one the API warns at start-up that its write endpoints are off.
  API_TOKEN: "standby-test-token-0123456789",
};

async function sql(db: TestDatabase, text: string, values: unknown[] = []) {
  return await withClient(db.url, (client) => client.query(text, values));
}

/** A `deno task sync` process with its HTTP port and its log lines. */
interface Daemon {
  name: string;
  child: Deno.ChildProcess;
  port: number;
  lines: string[];
  /** Resolves once its stderr is closed. */
  logged: Promise<void>;
}

function startDaemon(db: TestDatabase, name: string, env: Record<string, string> = {}): Daemon {
  const port = freePort();
  const child = spawnSync(db, { ...ENV, OPS_HTTP_PORT: String(port), ...env }, { stderr: "piped" });
  const { lines, done: logged } = logOf(child);
  return { name, child, port, lines, logged };
}

/** The daemon's `/readyz`: its status code and answer; null while it does not answer. */
async function readyz(daemon: Daemon) {
  try {
    const response = await fetch(`http://127.0.0.1:${daemon.port}/readyz`);
    const body = await response.json();
    return { status: response.status, ...body } as {
      status: number;
      ready: boolean;
      reason: string;
      state: string;
    };
  } catch {
    return null;
  }
}

/** The value of the unlabelled series `name` in the daemon's `/metrics`. */
function metric(daemon: Daemon, name: string): Promise<number | undefined> {
  return metricAt(daemon.port, name);
}

/** The daemon's log lines at warning level or above (logtape writes `"level":"WARN"`). */
function warningsOf(daemon: Daemon): string[] {
  const levels = new Set(["WARN", "WARNING", "ERROR", "FATAL"]);
  return daemon.lines.filter((line) => {
    try {
      return levels.has(JSON.parse(line).level);
    } catch {
      // Not a log line (a panic, the runtime's own output): as bad as an error.
      return line.trim() !== "";
    }
  });
}

/** The LSNs of the batches the daemon logged as applied. */
function appliedLsns(daemon: Daemon): string[] {
  return daemon.lines
    .filter((line) => line.includes("applied") && line.includes('"transactions"'))
    .map((line) => JSON.parse(line).properties?.lsn as string)
    .filter((lsn) => typeof lsn === "string");
}

/** Waits until `daemons` are, between them, exactly one streaming and the rest standing by. */
async function oneStreams(daemons: Daemon[], timeoutMs = 120_000) {
  return await waitFor("one daemon streaming, the others standing by", async () => {
    const states = await Promise.all(daemons.map(readyz));
    const streaming = daemons.filter((_, i) => states[i]?.state === "streaming");
    const standby = daemons.filter((_, i) => states[i]?.state === "standby");
    if (streaming.length !== 1 || standby.length !== daemons.length - 1) return undefined;
    return { leader: streaming[0]!, standby };
  }, { timeoutMs, intervalMs: 50 });
}

/**
 * Waits until one of `daemons` streams; returns it and the milliseconds from `since` (polled
 * every 50 ms, so the figure is at most that much late).
 */
async function takenOver(daemons: Daemon[], since: number, timeoutMs: number) {
  const leader = await waitFor("a standby to take over", async () => {
    const states = await Promise.all(daemons.map(readyz));
    return daemons.find((_, i) => states[i]?.state === "streaming");
  }, { timeoutMs, intervalMs: 50 });
  return { leader, ms: Date.now() - since };
}

/** Writes to the legacy table in small transactions until stopped. */
function startLoad(db: TestDatabase, firstNewId: number) {
  let stopped = false;
  let nextId = firstNewId;
  let changes = 0;
  const done = withClient(db.url, async (client) => {
    for (let round = 1; !stopped; round++) {
      const result = await changeLegacyUsers(client, {
        renames: 4,
        deletes: 1,
        inserts: 4,
        firstNewId: nextId,
        seed: nextId,
      });
      nextId += 4;
      changes += result.renamed + result.deleted + result.inserted;
      await client.query(
        `update users set display_name = 'load ' || $1
         where id in (select id from users order by hashint4(id::int # $1) limit 3)`,
        [round],
      );
      changes += 3;
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

/** Reads the stored checkpoint every 50 ms until stopped; each reading must not be older. */
function watchCheckpoint(db: TestDatabase) {
  let stopped = false;
  const seen: string[] = [];
  const backwards: string[] = [];
  const done = withClient(db.url, async (client) => {
    while (!stopped) {
      const { rows } = await client.query(
        "select last_applied_lsn::text as lsn from identity.sync_state where slot_name = $1",
        [db.name],
      );
      const lsn = rows[0]?.lsn;
      const last = seen.at(-1);
      if (lsn && last && compareLsn(lsn, last) < 0) backwards.push(`${last} → ${lsn}`);
      if (lsn && lsn !== last) seen.push(lsn);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  return {
    stop: async () => {
      stopped = true;
      await done;
      return { readings: seen.length, backwards };
    },
  };
}

/** Stream report rows written more than once for one change: a change applied twice. */
async function duplicateReportRows(db: TestDatabase): Promise<number> {
  const { rows } = await sql(
    db,
    `select count(*)::int as n from (
       select legacy_id, source_lsn, raw_value from identity.migration_report
       where source = 'stream'
       group by legacy_id, source_lsn, raw_value having count(*) > 1) d`,
  );
  return rows[0].n;
}

/** Every legacy row still mirrored, no public ID of `before` changed, nothing doubled, verify. */
async function assertIntact(db: TestDatabase, before: Map<string, string>) {
  const after = await publicIds(db);
  const changed = [...before].filter(([id, publicId]) => after.get(id) !== publicId);
  assert.deepEqual(changed, [], "public IDs changed");
  assert.equal(await duplicateReportRows(db), 0, "a change was applied twice");
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
}

async function stopAll(daemons: Daemon[]) {
  for (const daemon of daemons) {
    try {
      daemon.child.kill("SIGTERM");
    } catch {
      // Exited already.
    }
  }
  const statuses = await Promise.all(daemons.map((d) => d.child.status));
  await Promise.all(daemons.map((d) => d.logged));
  return statuses;
}

/** Kills what is still running (a failed test's daemons); a stopped one is resumed first. */
async function killAll(daemons: Daemon[]) {
  for (const daemon of daemons) {
    try {
      daemon.child.kill("SIGCONT");
      daemon.child.kill("SIGKILL");
    } catch {
      // Exited already.
    }
  }
  await Promise.all(daemons.map((d) => d.child.status));
  await Promise.all(daemons.map((d) => d.logged.catch(() => {})));
}

Deno.test("two daemons started at once on an empty identity database share the snapshot; one streams, the other stands by without a warning", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 20_000, { seed: 31 });
  const daemons = [startDaemon(db, "a"), startDaemon(db, "b")];
  try {
    const { leader, standby: [standby] } = await oneStreams(daemons, 180_000);
    // The snapshot was one run: every range read once, every legacy row one account.
    const { rows: [ranges] } = await sql(
      db,
      `select count(*)::int as all, count(*) filter (where status = 'done')::int as done,
              sum(rows_read)::int as rows from identity.snapshot_ranges`,
    );
    assert.equal(ranges.done, ranges.all);
    assert.equal(ranges.rows, 20_000);

    // The standby says so, in each place, for several of its looks at the slot.
    const load = startLoad(db, 5_000_000);
    await waitFor("a few hundred changes", () => Promise.resolve(load.changes() >= 300));
    await load.stop();
    await waitForMirror(db, { timeoutMs: 60_000 });
    const answer = (await readyz(standby!))!;
    assert.equal(answer.status, 503);
    assert.equal(answer.state, "standby");
    assert.match(answer.reason, /^standby: another daemon streams the slot/);
    assert.equal((await readyz(leader))?.state, "streaming");
    assert.equal(await metric(standby!, METRIC_NAMES.standby), 1);
    assert.equal(await metric(standby!, METRIC_NAMES.up), 1);
    assert.equal(await metric(leader, METRIC_NAMES.standby), 0);
    const status = await runCli(db, ["status", "--json"]);
    assert.equal(status.code, 0, status.stderr);
    const { slot, phase } = JSON.parse(status.stdout);
    assert.equal(phase, "streaming");
    assert.equal(slot.active, true);
    assert.equal(slot.standby_daemons, 1);
    assert.match((await runCli(db, ["status"])).stdout, /^standby {7}1 daemon standing by$/m);
  } finally {
    const statuses = await stopAll(daemons);
    assert.deepEqual(statuses.map((s) => s.code), [0, 0]);
  }
  for (const daemon of daemons) assert.deepEqual(warningsOf(daemon), [], daemon.name);
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
});

Deno.test("the streaming daemon SIGKILLed twice under load: a standby takes over within STANDBY_TAKEOVER_SECONDS each time, nothing lost or doubled", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 4_000, { seed: 32 });
  const first = startDaemon(db, "a");
  const daemons = [first];
  let checkpoints: ReturnType<typeof watchCheckpoint> | undefined;
  let watched: { readings: number; backwards: string[] } | undefined;
  let load: ReturnType<typeof startLoad> | undefined;
  try {
    await oneStreams(daemons);
    checkpoints = watchCheckpoint(db);
    daemons.push(startDaemon(db, "b"), startDaemon(db, "c"));
    let { leader, standby } = await oneStreams(daemons);
    const before = await publicIds(db);
    load = startLoad(db, 6_000_000);
    const takeovers: number[] = [];
    for (let kill = 0; kill < 2; kill++) {
      // Under load: the leader has applied some of it since the last takeover.
      const applied = appliedLsns(leader).length;
      await waitFor(
        "the leader applying the load",
        () => Promise.resolve(appliedLsns(leader).length >= applied + 5),
        { timeoutMs: 60_000 },
      );
      const killed = Date.now();
      leader.child.kill("SIGKILL");
      const status = await leader.child.status;
      assert.equal(status.signal, "SIGKILL");
      const next = await takenOver(standby, killed, 60_000);
      takeovers.push(next.ms);
      const rest = standby.filter((d) => d !== next.leader);
      // The new leader streams the load; the others still stand by.
      const applied2 = appliedLsns(next.leader).length;
      await waitFor(
        "the new leader applying the load",
        () => Promise.resolve(appliedLsns(next.leader).length >= applied2 + 5),
        { timeoutMs: 60_000 },
      );
      for (const other of rest) assert.equal((await readyz(other))?.state, "standby");
      leader = next.leader;
      standby = rest;
    }
    console.log(`takeovers after SIGKILL: ${takeovers.map((ms) => `${ms} ms`).join(", ")}`);
    for (const ms of takeovers) assert.ok(ms < TAKEOVER_SECONDS * 1_000, `took over in ${ms} ms`);
    await load.stop();
    await waitForMirror(db, { timeoutMs: 60_000 });
    await assertIntact(db, before);
    // The standbys never warned; the daemons killed logged nothing above info either.
    for (const daemon of daemons) assert.deepEqual(warningsOf(daemon), [], daemon.name);
  } finally {
    await load?.stop();
    await killAll(daemons);
    watched = await checkpoints?.stop();
  }
  const { readings, backwards } = watched!;
  assert.ok(readings > 10, `${readings} checkpoints seen`);
  assert.deepEqual(backwards, [], "the checkpoint moved back");
});

Deno.test("a SIGSTOPped leader holding a batch open under the apply lock: the standby takes over once wal_sender_timeout ends its walsender, ends its session and applies; resumed, it commits nothing and stands by", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 4_000, { seed: 33 });
  // A stopped leader's walsender ends after wal_sender_timeout (60 s by default); 4 s here.
  const url = new URL(db.url);
  url.searchParams.set("options", "-c wal_sender_timeout=4s");
  const env = { LEGACY_DATABASE_URL: url.toString() };
  const a = startDaemon(db, "a", env);
  const daemons = [a];
  let checkpoints: ReturnType<typeof watchCheckpoint> | undefined;
  let watched: { readings: number; backwards: string[] } | undefined;
  let stopped = false;
  try {
    await oneStreams(daemons);
    checkpoints = watchCheckpoint(db);
    const b = startDaemon(db, "b", env);
    daemons.push(b);
    const { leader } = await oneStreams(daemons);
    assert.equal(leader, a);
    const before = await publicIds(db);
    const { rows: [{ pid: walsender }] } = await sql(
      db,
      "select active_pid as pid from pg_replication_slots where slot_name = $1",
      [db.name],
    );

    // The leader's next batch waits on the test's lock on the accounts, inside its transaction
    // (the apply lock taken); stopped there, then the lock is released: its session finishes the
    // statement and sits idle in the transaction, holding the apply lock, until ended.
    const holder = await holdLocks(db.url);
    await holder.query("lock table identity.accounts in exclusive mode");
    await sql(db, "update users set display_name = 'before the stop' where id <= 50");
    const blocked = await waitBlockedBy(db.url, holder, /identity\.accounts/, {
      what: "the leader's batch",
      child: a.child,
    });
    const { rows: [held] } = await sql(
      db,
      `select count(*)::int as n from pg_locks
       where pid = $1 and locktype = 'advisory' and granted
         and classid::bigint = $2::bigint / 4294967296 and objid::bigint = $2::bigint % 4294967296`,
      [blocked.pid, APPLY_LOCK_KEY],
    );
    assert.equal(held.n, 1, "the leader's batch holds the apply lock");
    const { rows: [atStop] } = await sql(
      db,
      "select last_applied_lsn::text as lsn from identity.sync_state where slot_name = $1",
      [db.name],
    );
    a.child.kill("SIGSTOP");
    stopped = true;
    const stoppedAt = Date.now();
    await holder.release();
    await waitFor(
      "the stopped leader's session idle in its transaction",
      async () =>
        (await sql(db, "select state from pg_stat_activity where pid = $1", [blocked.pid]))
          .rows[0]?.state === "idle in transaction",
    );

    // Changes the standby must apply while the leader is stopped.
    await sql(db, "update users set display_name = 'while stopped' where id between 51 and 100");
    const freed = await waitFor("the stopped leader's walsender to end", async () => {
      const { rows } = await sql(
        db,
        "select active_pid from pg_replication_slots where slot_name = $1",
        [db.name],
      );
      return rows[0]?.active_pid !== walsender ? Date.now() : undefined;
    }, { timeoutMs: 60_000, intervalMs: 50 });
    const next = await takenOver([b], freed, 60_000);
    console.log(
      `SIGSTOP: walsender ended ${
        freed - stoppedAt
      } ms after the stop; standby streaming ${next.ms} ms later`,
    );
    assert.ok(next.ms < TAKEOVER_SECONDS * 1_000, `took over in ${next.ms} ms`);
    // The standby applies while the leader is still stopped: the session of the leader's open
    // batch was ended (rolled back, the apply lock free).
    await waitForMirror(db, { timeoutMs: 60_000 });
    assert.equal(
      (await sql(db, "select 1 from pg_stat_activity where pid = $1", [blocked.pid])).rowCount,
      0,
    );

    // Resumed, the old leader finds it lost the slot: no batch of its own commits after the
    // stop, and it stands by.
    const appliedBefore = appliedLsns(a).length;
    a.child.kill("SIGCONT");
    stopped = false;
    await waitFor(
      "the resumed leader standing by",
      async () => (await readyz(a))?.state === "standby",
      { timeoutMs: 60_000 },
    );
    const load = startLoad(db, 7_000_000);
    await waitFor("a few hundred changes", () => Promise.resolve(load.changes() >= 300));
    await load.stop();
    await waitForMirror(db, { timeoutMs: 60_000 });
    assert.equal((await readyz(a))?.state, "standby");
    assert.equal((await readyz(b))?.state, "streaming");
    const late = appliedLsns(a).slice(appliedBefore);
    assert.deepEqual(late, [], "the resumed leader logged batches applied after its stop");
    for (const lsn of appliedLsns(a)) {
      assert.ok(compareLsn(lsn, atStop.lsn) <= 0, `the old leader applied up to ${lsn}`);
    }
    await assertIntact(db, before);
    assert.deepEqual(warningsOf(b), [], "the standby that took over");
    // What the resumed leader says, for the record (its connections were ended under it).
    console.log(warningsOf(a).map((line) => JSON.parse(line).message).join("\n"));
  } finally {
    if (stopped) a.child.kill("SIGCONT");
    watched = await checkpoints?.stop();
    const statuses = await stopAll(daemons);
    assert.deepEqual(statuses.map((s) => s.code), daemons.map(() => 0));
  }
  const { backwards } = watched!;
  assert.deepEqual(backwards, [], "the checkpoint moved back");
});

/** A streaming run of `db`'s name whose checkpoint is at `lastApplied` (the only row). */
async function streamingAt(db: TestDatabase, lastApplied: string): Promise<void> {
  await migrate(db.url);
  await sql(
    db,
    `insert into identity.sync_state (slot_name, publication_name, legacy_table, legacy_key_type,
                                      phase, consistent_point, last_applied_lsn)
     values ($1, $1, 'public.users', 'bigint', 'streaming', '0/1000', $2)`,
    [db.name, lastApplied],
  );
}

/** The checkpoint at `lsn`, inside the transaction `partial` says when it does. */
const at = (lsn: string, partial?: [string, number]): SyncCheckpoint => ({
  lastAppliedLsn: lsn,
  lastCommitTime: null,
  partialLsn: partial?.[0] ?? null,
  partialChanges: partial?.[1] ?? 0,
});

Deno.test("a daemon that lost the slot cannot store its checkpoint: not an older one, not one that skips the newer", async () => {
  await using db = await createTestDatabase();
  await streamingAt(db, "0/1000");
  const store = (next: SyncCheckpoint, previous: SyncCheckpoint) =>
    withClient(db.url, async (client) => {
      await client.query("begin");
      try {
        await storeCheckpoint(client, db.name, next, previous);
        await client.query("commit");
      } catch (error) {
        await client.query("rollback");
        throw error;
      }
    });
  const stored = async () =>
    (await sql(
      db,
      `select last_applied_lsn::text as lsn, partial_lsn::text as partial,
              partial_changes::int as changes
       from identity.sync_state where slot_name = $1`,
      [db.name],
    )).rows[0];

  // The new leader: from what it read to its first batch, then a split transaction.
  await store(at("0/2000"), at("0/1000"));
  await store(at("0/2000", ["0/3000", 200]), at("0/2000"));
  // The old leader, resumed, still believes the checkpoint is where it left it.
  await assert.rejects(store(at("0/1800"), at("0/1000")), CheckpointMoved);
  await assert.rejects(store(at("0/5000"), at("0/1000")), CheckpointMoved);
  await assert.rejects(store(at("0/2000", ["0/3000", 100]), at("0/2000")), CheckpointMoved);
  assert.deepEqual(await stored(), { lsn: "0/2000", partial: "0/3000", changes: 200 });
  await store(at("0/3000"), at("0/2000", ["0/3000", 200]));
  assert.deepEqual(await stored(), { lsn: "0/3000", partial: null, changes: 0 });
});

Deno.test("before a batch's shares commit elsewhere, the daemon checks its checkpoint under the apply lock: a moved one stops it, another daemon's store waits for its commit, and it keeps neither a snapshot nor a transaction ID", async () => {
  await using db = await createTestDatabase();
  await streamingAt(db, "0/2000");
  await withClient(db.url, async (stale) => {
    await stale.query("begin");
    await lockApply(stale);
    await assert.rejects(
      holdCheckpoint(stale, db.name, at("0/1000")),
      (error: CheckpointMoved) => {
        assert.ok(error instanceof CheckpointMoved);
        assert.match(error.message, /Cannot hold the checkpoint .* from 0\/1000 to 0\/2000/);
        return true;
      },
    );
    await stale.query("rollback");
  });
  await withClient(db.url, async (leader) => {
    const { rows: [{ pid }] } = await leader.query("select pg_backend_pid() as pid");
    await leader.query("begin");
    await lockApply(leader);
    await holdCheckpoint(leader, db.name, at("0/2000"));
    // Neither a snapshot kept after the check (by the portal of a statement with parameters) nor
    // a transaction ID: either would keep the shares' old row versions from being pruned.
    const { rows: [holder] } = await sql(
      db,
      "select backend_xmin::text as xmin from pg_stat_activity where pid = $1",
      [pid],
    );
    assert.equal(holder!.xmin, null);
    const { rows } = await leader.query("select pg_current_xact_id_if_assigned() as xid");
    assert.equal(rows[0]!.xid, null);
    // Another daemon's batch waits for the holder's apply lock, then finds the checkpoint moved.
    const other = withClient(db.url, async (client) => {
      await client.query("begin");
      try {
        await lockApply(client);
        await storeCheckpoint(client, db.name, at("0/2500"), at("0/2000"));
        await client.query("commit");
      } catch (error) {
        await client.query("rollback");
        throw error;
      }
    });
    await waitFor("the other daemon's batch to wait for the apply lock", async () =>
      (await sql(
        db,
        `select 1 from pg_stat_activity
         where wait_event_type = 'Lock' and wait_event = 'advisory'
           and query like 'select pg_advisory_xact_lock%'`,
      )).rowCount === 1);
    await storeCheckpoint(leader, db.name, at("0/3000"), at("0/2000"));
    await leader.query("commit");
    await assert.rejects(other, CheckpointMoved);
  });
});
