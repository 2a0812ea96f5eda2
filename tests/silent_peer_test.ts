/**
 * Short sessions against a server that stops answering without a reset: each is dropped at its
 * deadline or when the daemon stops, never waited on forever (TCP keep-alive does not reach the
 * socket under Deno).
 */
import assert from "node:assert/strict";
import pg from "../src/db/pg.ts";
import { SessionDropped, withClient, within } from "../src/db/sessions.ts";
import { startStatusPoller } from "../src/status/status_poller.ts";
import { isUnreachable } from "../src/sync/unreachable.ts";
import { logOf } from "./support/daemon_output.ts";
import { waitForMirror } from "./support/mirror_state.ts";
import { silentPeer } from "./support/silent_peer.ts";
import { seedLegacyUsers, spawnSync } from "./support/snapshot_fixture.ts";
import { createTestDatabase, testServerUrl } from "./support/test_database.ts";
import { waitForPhase } from "./support/wait_for.ts";

/** How long `promise` took to settle, and whether it was rejected with what. */
async function timed(promise: Promise<unknown>): Promise<{ ms: number; error?: unknown }> {
  const started = performance.now();
  try {
    await promise;
    return { ms: performance.now() - started };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

Deno.test("a session to a server that accepts and never answers is dropped at its deadline, not before", async () => {
  await using peer = silentPeer();
  const { ms, error } = await timed(
    withClient(peer.url, (client) => client.query("select 1"), { timeoutMs: 400 }),
  );
  assert.equal(peer.accepted(), 1);
  assert.ok(error instanceof SessionDropped, `dropped, not ${error}`);
  assert.match(error.message, /no answer from the server within 400 ms/);
  assert.ok(isUnreachable(error), "the daemon waits a server out of reach, and tries again");
  assert.ok(ms >= 390, `dropped after ${ms} ms, before its deadline`);
  assert.ok(ms < 3_000, `dropped after ${ms} ms`);
});

Deno.test("a session whose server goes silent mid-session is dropped at its deadline", async () => {
  await using peer = silentPeer(testServerUrl());
  const { ms, error } = await timed(
    withClient(peer.url, async (client) => {
      const { rows } = await client.query("select 1 as one");
      assert.equal(rows[0].one, 1, "answered through the peer before it went silent");
      peer.silence();
      await client.query("select 2");
    }, { timeoutMs: 1_500 }),
  );
  assert.ok(error instanceof SessionDropped, `dropped, not ${error}`);
  assert.ok(ms >= 1_490 && ms < 5_000, `dropped after ${ms} ms`);
});

Deno.test("a query of a long-lived client that never comes back is cut at its deadline, and the client with it", async () => {
  await using peer = silentPeer(testServerUrl());
  const client = new pg.Client({ connectionString: peer.url });
  client.on("error", () => {});
  await client.connect();
  try {
    assert.equal((await within(client, 1_000, client.query("select 1 as one"))).rows[0].one, 1);
    peer.silence();
    const { ms, error } = await timed(within(client, 1_000, client.query("select 2")));
    assert.ok(error instanceof SessionDropped, `dropped, not ${error}`);
    assert.ok(ms >= 990 && ms < 4_000, `dropped after ${ms} ms`);
    await assert.rejects(client.query("select 3"), "the client is done with");
  } finally {
    await within(client, 1_000, client.end()).catch(() => {});
  }
  // A connection made after the silence goes through, until silenced in turn; then a signal
  // cuts its query at once, long before the deadline.
  const second = new pg.Client({ connectionString: peer.url });
  second.on("error", () => {});
  await second.connect();
  try {
    peer.silence();
    const stop = new AbortController();
    const query = timed(within(second, 60_000, second.query("select 4"), stop.signal));
    setTimeout(() => stop.abort(), 100);
    const { ms, error } = await query;
    assert.ok(error instanceof SessionDropped && error.code === "ABORT_ERR", `cut, not ${error}`);
    assert.ok(ms < 2_000, `cut after ${ms} ms`);
  } finally {
    await within(second, 1_000, second.end()).catch(() => {});
  }
});

Deno.test("a session in time returns its result under a deadline and a signal, and leaves no timer behind", async () => {
  const stop = new AbortController();
  const one = await withClient(
    testServerUrl(),
    async (client) => (await client.query("select 1 as one")).rows[0].one,
    { timeoutMs: 10_000, signal: stop.signal },
  );
  assert.equal(one, 1);
  // The test's sanitizers fail on a timer left behind; aborting afterwards cuts nothing.
  stop.abort();
});

Deno.test("a signal drops a session at once, and one already given never connects", async () => {
  await using peer = silentPeer();
  const stop = new AbortController();
  const session = timed(withClient(peer.url, (c) => c.query("select 1"), { signal: stop.signal }));
  await new Promise((resolve) => setTimeout(resolve, 100));
  stop.abort();
  const { ms, error } = await session;
  assert.ok(error instanceof SessionDropped, `dropped, not ${error}`);
  assert.ok(ms < 2_000, `dropped after ${ms} ms`);
  const accepted = peer.accepted();
  await assert.rejects(withClient(peer.url, (c) => c.query("select 1"), { signal: stop.signal }));
  assert.equal(peer.accepted(), accepted, "no connection after the signal");
});

Deno.test("the status poller stops at once while its polls hang on silent servers", async () => {
  await using legacy = silentPeer();
  await using identity = silentPeer();
  const heard: string[] = [];
  const poller = startStatusPoller({
    legacyUrl: legacy.url,
    identityUrl: identity.url,
    slotName: "silent",
    slotFailover: false,
    onSlot: () => heard.push("slot"),
    onAccounts: () => heard.push("accounts"),
    slotEveryMs: 50,
  });
  // The first count and several slot polls are waiting on servers that will never answer.
  while (legacy.accepted() < 3 || identity.accepted() < 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const { ms } = await timed(Promise.race([
    poller.stop(),
    new Promise((_, reject) => timer = setTimeout(() => reject(new Error("still waiting")), 5_000)),
  ]));
  clearTimeout(timer);
  assert.ok(ms < 2_000, `stopped after ${ms} ms`);
  assert.deepEqual(heard, []);
});

Deno.test("the daemon drops the stream its legacy server went silent on, streams again on a new connection, and stops on SIGTERM", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 200, { seed: 5 });
  // The old walsender, which never hears from the daemon again, lets the slot go after this.
  const legacy = new URL(db.url);
  legacy.searchParams.set("options", "-c wal_sender_timeout=3s");
  await using peer = silentPeer(legacy.href);
  const child = spawnSync(db, {
    LEGACY_DATABASE_URL: peer.url,
    IDENTITY_DATABASE_URL: db.url,
    SYNC_RECEIVE_TIMEOUT_SECONDS: "3",
    HEARTBEAT_SECONDS: "1",
    LOG_LEVEL: "info",
  }, { stderr: "piped" });
  const log = logOf(child);
  let passed = false;
  try {
    await waitForPhase(db.url, "streaming", { timeoutMs: 60_000 });
    const insert = (id: number, name: string) =>
      withClient(db.url, (client) =>
        client.query(
          "insert into users (id, username, created_at) values ($1, $2, now())",
          [id, name],
        ));
    await insert(800_001, "before.silence");
    await waitForMirror(db, { timeoutMs: 30_000 });

    peer.silence();
    const silencedAt = performance.now();
    const accepted = peer.accepted();
    await insert(800_002, "during.silence");
    await log.waitFor("the legacy server sent nothing for", { timeoutMs: 15_000 });
    const noticedMs = performance.now() - silencedAt;
    // A heartbeat came at most a second before the silence; the line is logged once the session
    // has ended, after the watch's looks (every 750 ms) and the 2 s the hung heartbeat is given.
    assert.ok(
      noticedMs > 3_000 - 1_500 && noticedMs < 10_000,
      `noticed ${Math.round(noticedMs)} ms after the silence`,
    );
    // The change made while the old connection was silent comes over a new one.
    await waitForMirror(db, { timeoutMs: 30_000 });
    assert.ok(peer.accepted() > accepted, "the stream connected again");
    await waitForPhase(db.url, "streaming", { timeoutMs: 10_000 });

    const signalled = performance.now();
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    const stopMs = performance.now() - signalled;
    assert.ok(stopMs < 10_000, `stopped ${Math.round(stopMs)} ms after SIGTERM`);
    passed = true;
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited already.
    }
    await child.status;
    await log.done;
    if (!passed) console.log(log.lines.slice(-30).join("\n"));
  }
});
