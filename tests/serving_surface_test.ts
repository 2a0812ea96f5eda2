/**
 * The serving surface (issue 14, items 3 and 4): two listeners, each path on its own; an API that
 * answers 503 with `Retry-After` rather than hang or fail when the database is slow, the pool is
 * empty or the API is full (writes first); request timeouts; safe headers; JSON bodies only;
 * `Bearer` in any case; refusals that never echo what was sent.
 */
import assert from "node:assert/strict";
import { migrate } from "../src/db/migrate.ts";
import { startApi, TOKEN } from "./support/account_api.ts";
import { snapshotEnv } from "./support/snapshot_fixture.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { freePort } from "./support/test_server.ts";
import { waitFor } from "./support/wait_for.ts";
import pg from "../src/db/pg.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

async function migrated(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await migrate(db.url);
  return db;
}

/** A session holding `identity.accounts` locked, so every account query waits, until released. */
async function lockAccounts(db: TestDatabase) {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query("begin");
  await client.query("lock table identity.accounts in access exclusive mode");
  return {
    release: async () => {
      await client.query("commit");
      await client.end();
    },
  };
}

/** Whether `db` has a session waiting for a lock: a request has reached the database. */
async function waitingOnLock(db: TestDatabase, count: number): Promise<void> {
  await waitFor(`${count} sessions waiting on the lock`, async () => {
    const { rows } = await withClient(db.url, (c) =>
      c.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
         where datname = current_database() and wait_event_type = 'Lock'`,
      ));
    return rows[0]!.n >= count ? true : undefined;
  });
}

Deno.test("serve answers each path on its own listener only: ops for probes and metrics, API for /v1 and /openapi.json", async () => {
  await using db = await createTestDatabase();
  const opsPort = freePort();
  const apiPort = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "serve"],
    env: snapshotEnv(db, {
      OPS_HTTP_PORT: String(opsPort),
      API_HTTP_PORT: String(apiPort),
      API_TOKEN: TOKEN,
    }),
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const request = async (port: number, method: string, path: string) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
      const text = await response.text();
      return { status: response.status, text, headers: response.headers };
    };
    await waitFor("both listeners to answer", async () => {
      try {
        const ops = await request(opsPort, "GET", "/healthz");
        const api = await request(apiPort, "GET", "/openapi.json");
        return ops.status === 200 && api.status === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    });
    const cases: [port: number, method: string, path: string, status: number][] = [
      [opsPort, "GET", "/metrics", 200],
      [opsPort, "GET", "/healthz", 200],
      [opsPort, "GET", "/readyz", 200],
      [opsPort, "HEAD", "/metrics", 200],
      [opsPort, "HEAD", "/healthz", 200],
      [opsPort, "HEAD", "/readyz", 200],
      [opsPort, "GET", "/openapi.json", 404],
      [opsPort, "GET", "/v1/usernames/ada_lovelace", 404],
      [opsPort, "POST", "/v1/accounts", 404],
      [apiPort, "GET", "/openapi.json", 200],
      [apiPort, "GET", "/v1/usernames/ada_lovelace", 200],
      [apiPort, "GET", "/metrics", 404],
      [apiPort, "GET", "/healthz", 404],
      [apiPort, "GET", "/readyz", 404],
      [apiPort, "HEAD", "/healthz", 404],
    ];
    for (const [port, method, path, status] of cases) {
      const answer = await request(port, method, path);
      const where = `${method} ${path} on the ${port === opsPort ? "ops" : "API"} listener`;
      assert.equal(answer.status, status, where);
      assert.equal(answer.headers.get("x-content-type-options"), "nosniff", where);
      assert.equal(answer.headers.get("cache-control"), "no-store", where);
      if (method === "HEAD") assert.equal(answer.text, "", where);
    }
  } finally {
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
  }
});

Deno.test("the old HTTP_PORT stops the program with one line naming the new settings, before any database", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "serve"],
    // Nothing listens there: a command that got that far would fail otherwise (exit 1).
    env: { LEGACY_DATABASE_URL: `postgres://u@127.0.0.1:${freePort()}/x`, HTTP_PORT: "8080" },
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 2, stderr);
  assert.match(stderr, /^error: HTTP_PORT is no longer read: .*OPS_HTTP_PORT.*API_HTTP_PORT.*\n$/);
});

Deno.test("every API answer is nosniff and no-store; bodies must be application/json (415)", async (t) => {
  await using db = await migrated();
  await using api = await startApi(db);

  await t.step("safe headers on 201, 200, 400, 401, 404, 405 and 415", async () => {
    const answers = [
      await api.call("POST", "/v1/accounts", { username: "headers_one" }),
      await api.call("GET", "/v1/usernames/headers_two"),
      await api.call("POST", "/v1/accounts", "{"),
      await api.call("POST", "/v1/accounts", {}, { authorization: "Bearer wrong-token-000000" }),
      await api.call("GET", "/nowhere"),
      await api.call("PUT", "/v1/accounts"),
      await api.call("POST", "/v1/accounts", {}, { "content-type": "text/plain" }),
    ];
    assert.deepEqual(answers.map((a) => a.status), [201, 200, 400, 401, 404, 405, 415]);
    for (const answer of answers) {
      assert.equal(answer.headers.get("x-content-type-options"), "nosniff", answer.text);
      assert.equal(answer.headers.get("cache-control"), "no-store", answer.text);
    }
  });

  await t.step("a body that is not declared application/json: 415, nothing created", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "", "json"]) {
      const refused = await api.call("POST", "/v1/accounts", { username: "sniffed_name" }, {
        "content-type": type,
      });
      assert.equal(refused.status, 415, type);
      assert.equal(refused.body.error.code, "unsupported_media_type");
      const renamed = await api.call("PATCH", "/v1/accounts/anything", { username: "x_y_z" }, {
        "content-type": type,
      });
      assert.equal(renamed.status, 415, type);
    }
    const stored = await withClient(
      db.url,
      (c) => c.query("select 1 from identity.accounts where username = 'sniffed_name'"),
    );
    assert.equal(stored.rowCount, 0);
    for (const type of ["application/json; charset=utf-8", "Application/JSON"]) {
      const created = await api.call("POST", "/v1/accounts", {}, { "content-type": type });
      assert.equal(created.status, 201, type);
    }
  });
});

Deno.test("Bearer in any case; a 401 says WWW-Authenticate: Bearer", async () => {
  await using db = await migrated();
  await using api = await startApi(db);
  for (const scheme of ["bearer", "BEARER", "BeArEr"]) {
    const created = await api.call("POST", "/v1/accounts", {}, {
      authorization: `${scheme} ${TOKEN}`,
    });
    assert.equal(created.status, 201, scheme);
  }
  for (const authorization of ["", `Basic ${TOKEN}`, "Bearer wrong-token-0123456789", TOKEN]) {
    const refused = await api.call("POST", "/v1/accounts", {}, { authorization });
    assert.equal(refused.status, 401, authorization);
    assert.match(refused.headers.get("www-authenticate") ?? "", /^Bearer realm="identity-sync"$/);
  }
  // An authenticated check sees the private reasons: the lower-case scheme counts there too.
  await api.call("POST", "/v1/accounts", { username: "known_name" });
  const check = await api.call("GET", "/v1/usernames/known_name", undefined, {
    authorization: `bearer ${TOKEN}`,
  });
  assert.deepEqual(check.body.reasons, ["TAKEN"]);
});

Deno.test("refusals never echo what the caller sent", async () => {
  await using db = await migrated();
  await using api = await startApi(db);
  const marker = "<script>alert(1)</script>";
  const answers = [
    await api.call("GET", `/${encodeURIComponent(marker)}`),
    await api.call("GET", `/v1/accounts/${encodeURIComponent(marker)}`),
    await api.call("PATCH", `/v1/accounts/${encodeURIComponent(marker)}`, { username: "a_b_c" }),
    await api.call("DELETE", `/v1/accounts/${encodeURIComponent(marker)}`),
    await api.call("POST", "/v1/accounts", `{"username": "${marker}`),
    await api.call("POST", "/v1/accounts", { [marker]: 1 }),
    await api.call("POST", "/v1/accounts", { username: 1, display_name: marker }),
  ];
  assert.deepEqual(answers.map((a) => a.status), [404, 404, 404, 404, 400, 400, 400]);
  for (const answer of answers) {
    assert.equal(answer.text.includes("script"), false, answer.text);
    assert.equal(answer.text.includes("alert"), false, answer.text);
  }
});

Deno.test("a database too slow to answer: 503 with Retry-After once the statement timeout passes, never a hang", async () => {
  await using db = await migrated();
  await using api = await startApi(db, { pool: { statementTimeoutMs: 300 } });
  const lock = await lockAccounts(db);
  try {
    const started = performance.now();
    const signUp = await api.call("POST", "/v1/accounts", { username: "slow_database" });
    const check = await api.call("GET", "/v1/usernames/slow_check");
    assert.equal(signUp.status, 503, signUp.text);
    assert.equal(signUp.body.error.code, "unavailable");
    assert.equal(signUp.retryAfter, "1");
    assert.equal(check.status, 503);
    assert.equal(check.retryAfter, "1");
    assert.ok(performance.now() - started < 3_000, "answered within the statement timeouts");
  } finally {
    await lock.release();
  }
  const later = await api.call("POST", "/v1/accounts", { username: "slow_database" });
  assert.equal(later.status, 201, "the refused sign-up changed nothing: the name is free");
});

Deno.test("no pool connection within the wait: 503 with Retry-After; the waiting ones finish", async () => {
  await using db = await migrated();
  await using api = await startApi(db, {
    pool: { max: 2, acquireTimeoutMs: 300, statementTimeoutMs: 20_000 },
  });
  const lock = await lockAccounts(db);
  let held: Promise<{ status: number }>[] = [];
  try {
    held = ["held_one", "held_two"].map((username) =>
      api.call("POST", "/v1/accounts", { username })
    );
    await waitingOnLock(db, 2);
    const started = performance.now();
    const refused = await api.call("POST", "/v1/accounts", { username: "no_connection" });
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.retryAfter, "1");
    assert.ok(performance.now() - started < 2_000);
  } finally {
    await lock.release();
  }
  assert.deepEqual((await Promise.all(held)).map((a) => a.status), [201, 201]);
});

Deno.test("a full API refuses anonymous reads at once (503, Retry-After) and serves a waiting sign-up first", async () => {
  await using db = await migrated();
  await using api = await startApi(db, {
    admission: { maxInFlight: 2, anonymousInFlight: 1, maxWaitMs: 20_000 },
    pool: { max: 4, statementTimeoutMs: 20_000 },
  });
  const anonymous = { authorization: "" };
  const lock = await lockAccounts(db);
  let first: Promise<{ status: number }> | undefined;
  let write: Promise<{ status: number }> | undefined;
  let waiting: Promise<{ status: number }> | undefined;
  try {
    first = api.call("GET", "/v1/usernames/first_reader", undefined, anonymous);
    await waitingOnLock(db, 1);
    const shed = await api.call("GET", "/v1/usernames/second_reader", undefined, anonymous);
    assert.equal(shed.status, 503, "the anonymous share is taken");
    assert.equal(shed.retryAfter, "1");
    write = api.call("POST", "/v1/accounts", { username: "first_writer" });
    await waitingOnLock(db, 2);
    waiting = api.call("POST", "/v1/accounts", { username: "waiting_writer" });
    const alsoShed = await api.call("GET", "/v1/accounts/nobody", undefined, anonymous);
    assert.equal(alsoShed.status, 503, "the API is full");
    assert.equal(alsoShed.retryAfter, "1");
  } finally {
    await lock.release();
  }
  assert.equal((await first!).status, 200);
  assert.equal((await write!).status, 201);
  assert.equal((await waiting!).status, 201, "the sign-up that waited for room was served");
});

Deno.test("a request that takes longer than the request timeout is answered 503 (a body never finished)", async () => {
  await using db = await migrated();
  await using api = await startApi(db, { requestTimeoutMs: 500 });
  const connection = await Deno.connect({ hostname: "127.0.0.1", port: api.server.port });
  try {
    const head = [
      "POST /v1/accounts HTTP/1.1",
      "host: 127.0.0.1",
      `authorization: Bearer ${TOKEN}`,
      "content-type: application/json",
      "content-length: 100",
      "",
      '{"username": "slow',
    ].join("\r\n");
    const started = performance.now();
    await connection.write(new TextEncoder().encode(head));
    const buffer = new Uint8Array(4_096);
    const read = await connection.read(buffer);
    const answer = new TextDecoder().decode(buffer.subarray(0, read ?? 0));
    assert.match(answer, /^HTTP\/1\.1 503/);
    assert.match(answer, /retry-after: 1/i);
    assert.ok(performance.now() - started < 3_000);
  } finally {
    connection.close();
  }
});
