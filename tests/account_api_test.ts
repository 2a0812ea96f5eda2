import assert from "node:assert/strict";
import { migrate } from "../src/db/migrate.ts";
import { isWellFormedPublicId, validateUsername } from "../src/policy/mod.ts";
import { runSync } from "../src/sync/run_sync.ts";
import {
  runCli,
  seedLegacyUsers,
  snapshotConfig,
  verifyDatabase,
} from "./support/snapshot_fixture.ts";
import { startApi } from "./support/account_api.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { waitFor } from "./support/wait_for.ts";

async function migrated(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await migrate(db.url);
  return db;
}

Deno.test("the account API creates, resolves, checks, renames and deletes accounts", async (t) => {
  await using db = await migrated();
  await using api = await startApi(db);
  let ada = "";

  await t.step(
    "POST /v1/accounts creates a native account with the requested name: 201",
    async () => {
      const created = await api.call("POST", "/v1/accounts", {
        username: "ada_lovelace",
        display_name: "Ada",
      });
      assert.equal(created.status, 201);
      assert.deepEqual(Object.keys(created.body).sort(), [
        "display_name",
        "public_id",
        "username",
        "username_source",
      ]);
      assert.ok(isWellFormedPublicId(created.body.public_id));
      assert.equal(created.body.username, "ada_lovelace");
      assert.equal(created.body.username_source, "requested");
      ada = created.body.public_id;
      const stored = await withClient(
        db.url,
        (c) =>
          c.query("select legacy_id, status from identity.accounts where public_id = $1", [ada]),
      );
      assert.deepEqual(stored.rows, [{ legacy_id: null, status: "active" }]);
    },
  );

  await t.step("a taken name or a look-alike: 409 with five valid, free suggestions", async () => {
    const refusals: [string, string][] = [["ada_lovelace", "TAKEN"], ["ada.1ovelace", "LOOKALIKE"]];
    for (const [name, reason] of refusals) {
      const refused = await api.call("POST", "/v1/accounts", { username: name });
      assert.equal(refused.status, 409, name);
      assert.equal(refused.body.error.code, "username_unavailable");
      assert.deepEqual(refused.body.error.reasons, [reason]);
      const suggestions: string[] = refused.body.error.suggestions;
      assert.equal(suggestions.length, 5);
      for (const suggestion of suggestions) {
        assert.ok(validateUsername(suggestion).valid, suggestion);
        const check = await api.call("GET", `/v1/usernames/${suggestion}`);
        assert.deepEqual(check.body, { available: true, reasons: [], suggestions: [] });
      }
    }
  });

  await t.step("a name the policy refuses: 400 with its reasons and suggestions", async () => {
    const refused = await api.call("POST", "/v1/accounts", { username: "admin" });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, "invalid_username");
    assert.deepEqual(refused.body.error.reasons, ["RESERVED"]);
    assert.ok(refused.body.error.suggestions.length > 0);
  });

  await t.step("no name asked: a generated one", async () => {
    const created = await api.call("POST", "/v1/accounts", {});
    assert.equal(created.status, 201);
    assert.match(created.body.username, /^user_[a-z0-9]{10}$/);
    assert.equal(created.body.username_source, "generated");
  });

  await t.step("GET /v1/accounts/{public_id}: 200, and 404 for an unknown one", async () => {
    const found = await api.call("GET", `/v1/accounts/${ada}`, undefined, { authorization: "" });
    assert.deepEqual(found, {
      status: 200,
      body: {
        public_id: ada,
        username: "ada_lovelace",
        username_source: "requested",
        display_name: "Ada",
      },
    });
    assert.equal((await api.call("GET", "/v1/accounts/BBBBBBBBBBBBBBBB")).status, 404);
    assert.equal((await api.call("GET", "/v1/accounts/not-an-id")).status, 404);
  });

  await t.step("GET /v1/usernames/{name} says whether a sign-up could have it", async () => {
    const taken = await api.call("GET", "/v1/usernames/ada_lovelace");
    assert.equal(taken.body.available, false);
    assert.deepEqual(taken.body.reasons, ["TAKEN"]);
    assert.ok(taken.body.suggestions.length > 0);
    const free = await api.call("GET", "/v1/usernames/grace_hopper");
    assert.deepEqual(free.body, { available: true, reasons: [], suggestions: [] });
    const bad = await api.call("GET", "/v1/usernames/a");
    assert.deepEqual(bad.body.reasons, ["TOO_SHORT"]);
  });

  await t.step("PATCH renames through the policy; the old name is held, history kept", async () => {
    const renamed = await api.call("PATCH", `/v1/accounts/${ada}`, { username: "countess_ada" });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.username, "countess_ada");
    const held = await api.call("POST", "/v1/accounts", { username: "ada_lovelace" });
    assert.equal(held.status, 409);
    assert.deepEqual(held.body.error.reasons, ["HELD"]);
    const history = await withClient(
      db.url,
      (c) => c.query("select old_username, new_username, source from identity.username_history"),
    );
    assert.deepEqual(history.rows, [
      { old_username: "ada_lovelace", new_username: "countess_ada", source: "api" },
    ]);
  });

  await t.step("DELETE tombstones: 200, then 410 for every call on it", async () => {
    const deleted = await api.call("DELETE", `/v1/accounts/${ada}`);
    assert.deepEqual(deleted, { status: 200, body: { public_id: ada, status: "deleted" } });
    assert.equal((await api.call("GET", `/v1/accounts/${ada}`)).status, 410);
    assert.equal(
      (await api.call("PATCH", `/v1/accounts/${ada}`, { username: "x_ada" })).status,
      410,
    );
    assert.equal((await api.call("DELETE", `/v1/accounts/${ada}`)).status, 410);
    const stored = await withClient(
      db.url,
      (c) => c.query("select public_id, status from identity.accounts where public_id = $1", [ada]),
    );
    assert.deepEqual(stored.rows, [{ public_id: ada, status: "deleted" }]);
    const again = await api.call("POST", "/v1/accounts", { username: "countess_ada" });
    assert.deepEqual(again.body.error.reasons, ["HELD"]);
  });

  await t.step(
    "an account that mirrors a legacy user is deleted in the legacy system: 409",
    async () => {
      await withClient(db.url, (c) =>
        c.query(
          `insert into identity.accounts (legacy_id, public_id, username, username_skeleton,
           username_source) values ('42', 'CCCCCCCCCCCCCCCC', 'legacy_user', 'iegacy_user', 'exact')`,
        ));
      const refused = await api.call("DELETE", "/v1/accounts/CCCCCCCCCCCCCCCC");
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, "legacy_owned");
    },
  );
});

Deno.test("the account API refuses bad requests with clear 4xx answers", async (t) => {
  await using db = await migrated();
  await using api = await startApi(db);
  const cases: [string, () => ReturnType<typeof api.call>, number, string][] = [
    [
      "no token",
      () => api.call("POST", "/v1/accounts", {}, { authorization: "" }),
      401,
      "unauthorized",
    ],
    [
      "a wrong token",
      () => api.call("POST", "/v1/accounts", {}, { authorization: "Bearer nope-nope-nope-nope" }),
      401,
      "unauthorized",
    ],
    ["malformed JSON", () => api.call("POST", "/v1/accounts", "{oops"), 400, "malformed_json"],
    [
      "an unknown field",
      () => api.call("POST", "/v1/accounts", { username: "someone", admin: true }),
      400,
      "invalid_body",
    ],
    [
      "a body over the limit",
      () => api.call("POST", "/v1/accounts", { display_name: "x".repeat(2_000) }),
      413,
      "body_too_large",
    ],
    ["a wrong method", () => api.call("PUT", "/v1/accounts"), 405, "method_not_allowed"],
  ];
  for (const [what, request, status, code] of cases) {
    await t.step(`${what}: ${status}`, async () => {
      const answer = await request();
      assert.equal(answer.status, status);
      assert.equal(answer.body.error.code, code);
      assert.equal(typeof answer.body.error.message, "string");
    });
  }
  await t.step("with no token configured the write endpoints are off: 403", async () => {
    await using off = await startApi(db, { token: null });
    const answer = await off.call("POST", "/v1/accounts", { username: "someone" });
    assert.equal(answer.status, 403);
    assert.equal(answer.body.error.code, "writes_disabled");
  });
  await t.step("/openapi.json describes the API", async () => {
    const document = await api.call("GET", "/openapi.json");
    assert.equal(document.body.openapi, "3.1.0");
    assert.ok(document.body.paths["/v1/accounts/{public_id}"].patch);
  });
});

Deno.test("50 concurrent sign-ups for one name: exactly one gets it", async () => {
  await using db = await migrated();
  await using api = await startApi(db);
  const answers = await Promise.all(
    Array.from(
      { length: 50 },
      () => api.call("POST", "/v1/accounts", { username: "zanzibar_fan" }),
    ),
  );
  const statuses = answers.map((answer) => answer.status).sort();
  assert.deepEqual(statuses, [201, ...Array(49).fill(409)]);
  for (const answer of answers.filter((a) => a.status === 409)) {
    assert.deepEqual(answer.body.error.reasons, ["TAKEN"]);
    assert.ok(answer.body.error.suggestions.length > 0);
  }
  const owners = await withClient(
    db.url,
    (c) =>
      c.query("select count(*)::int as n from identity.accounts where username = 'zanzibar_fan'"),
  );
  assert.equal(owners.rows[0].n, 1);
});

Deno.test("a sign-up racing the sync for one name: one owner, no error, verify passes", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 200);
  assert.equal((await runCli(db, ["snapshot"])).code, 0);
  await using api = await startApi(db);
  const stop = new AbortController();
  const daemon = runSync({
    config: snapshotConfig(db, { SYNC_BATCH_MS: "20", HEARTBEAT_SECONDS: "1" }),
    legacyUrl: db.url,
    identityUrl: db.url,
    signal: stop.signal,
  });
  try {
    const names = Array.from({ length: 20 }, (_, i) => `racer_${i}`);
    const answers = await Promise.all(names.flatMap((name, i) => [
      api.call("POST", "/v1/accounts", { username: name }),
      withClient(
        db.url,
        (c) =>
          c.query("insert into users (id, username, created_at) values ($1, $2, now())", [
            900_000 + i,
            name,
          ]),
      ).then(() => ({ status: 0, body: null })),
    ]));
    for (const answer of answers) assert.ok([0, 201, 409].includes(answer.status));
    // Every legacy insert reaches the identity tables, whoever won its name.
    await waitFor("the legacy inserts", async () => {
      const { rows } = await withClient(
        db.url,
        (c) =>
          c.query(
            "select count(*)::int as n from identity.accounts where legacy_id::int >= 900000",
          ),
      );
      return rows[0].n === names.length;
    });
    const owners = await withClient(db.url, (c) =>
      c.query(
        "select username, count(*)::int as n from identity.accounts where username = any($1) group by 1",
        [names],
      ));
    assert.equal(owners.rows.length, names.length);
    for (const row of owners.rows) assert.equal(row.n, 1, row.username);
    const apiWins = answers.filter((answer) => answer.status === 201).length;
    const legacyFallbacks = await withClient(db.url, (c) =>
      c.query(
        `select count(*)::int as n from identity.accounts a
         where legacy_id::int >= 900000 and username_source = 'generated'`,
      ));
    assert.equal(legacyFallbacks.rows[0].n, apiWins);
  } finally {
    stop.abort();
    await daemon;
  }
  const report = await verifyDatabase(db);
  assert.equal(report.ok, true, JSON.stringify(report));
});

const ANONYMOUS = { authorization: "" };

Deno.test("a requested name that differs from a valid one only in ASCII case is that name", async (t) => {
  await using db = await migrated();
  await using api = await startApi(db);
  let grace = "";

  await t.step("POST folds the capitals: 201 with the lower-case form", async () => {
    const created = await api.call("POST", "/v1/accounts", { username: "Newbie.One" });
    assert.equal(created.status, 201);
    assert.equal(created.body.username, "newbie.one");
    const other = await api.call("POST", "/v1/accounts", { username: "Grace_Hopper" });
    assert.equal(other.body.username, "grace_hopper");
    grace = other.body.public_id;
  });

  const refusals: [string, number, string[]][] = [
    ["NEWBIE.ONE", 409, ["TAKEN"]],
    ["newbie.ONE", 409, ["TAKEN"]],
    ["ADMIN", 400, ["RESERVED"]],
    ["Jürgen", 400, ["BAD_SHAPE"]], // non-ASCII letters are never folded
    ["İnci", 400, ["BAD_SHAPE"]],
  ];
  for (const [name, status, reasons] of refusals) {
    await t.step(`POST ${name}: ${status} ${reasons}`, async () => {
      const refused = await api.call("POST", "/v1/accounts", { username: name });
      assert.equal(refused.status, status);
      assert.deepEqual(refused.body.error.reasons, reasons);
    });
  }

  await t.step("PATCH folds the capitals; the same name in capitals changes nothing", async () => {
    const renamed = await api.call("PATCH", `/v1/accounts/${grace}`, { username: "Amazing.Grace" });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.username, "amazing.grace");
    const same = await api.call("PATCH", `/v1/accounts/${grace}`, { username: "AMAZING.GRACE" });
    assert.equal(same.status, 200);
    assert.equal(same.body.username, "amazing.grace");
    const taken = await api.call("PATCH", `/v1/accounts/${grace}`, { username: "NewBie.One" });
    assert.equal(taken.status, 409);
    assert.deepEqual(taken.body.error.reasons, ["TAKEN"]);
    const history = await withClient(
      db.url,
      (c) => c.query("select old_username, new_username from identity.username_history"),
    );
    assert.deepEqual(history.rows, [{
      old_username: "grace_hopper",
      new_username: "amazing.grace",
    }]);
  });

  const checks: [string, { available: boolean; reasons: string[]; first?: string }][] = [
    ["NEWBIE.ONE", { available: false, reasons: ["TAKEN"] }],
    ["Free.Name", { available: true, reasons: [], first: "free.name" }],
    ["FREE_NAME_2", { available: true, reasons: [], first: "free_name_2" }],
    ["free.name", { available: true, reasons: [] }],
    ["Jürgen", { available: false, reasons: ["BAD_SHAPE"] }],
  ];
  for (const [name, expected] of checks) {
    await t.step(`GET /v1/usernames/${name} answers about the folded name`, async () => {
      const check = await api.call("GET", `/v1/usernames/${encodeURIComponent(name)}`);
      assert.equal(check.status, 200);
      assert.equal(check.body.available, expected.available);
      assert.deepEqual(check.body.reasons, expected.reasons);
      if (expected.first) assert.deepEqual(check.body.suggestions, [expected.first]);
      else if (expected.available) assert.deepEqual(check.body.suggestions, []);
    });
  }
});

Deno.test("anonymous checks learn availability and policy reasons, never taken from held from look-alike", async (t) => {
  await using db = await migrated();
  await using api = await startApi(db);
  const created = await api.call("POST", "/v1/accounts", { username: "ada_lovelace" });
  await api.call("POST", "/v1/accounts", { username: "old_name" }).then((old) =>
    api.call("PATCH", `/v1/accounts/${old.body.public_id}`, { username: "new_name" })
  );
  assert.equal(created.status, 201);
  const cases: [string, string, string[], string[]][] = [
    // what, name, reasons with the token, reasons without
    ["taken", "ada_lovelace", ["TAKEN"], ["UNAVAILABLE"]],
    ["taken, asked in capitals", "Ada_Lovelace", ["TAKEN"], ["UNAVAILABLE"]],
    ["held", "old_name", ["HELD"], ["UNAVAILABLE"]],
    ["a look-alike", "ada.1ovelace", ["LOOKALIKE"], ["UNAVAILABLE"]],
    ["free", "grace_hopper", [], []],
    ["too short", "a", ["TOO_SHORT"], ["TOO_SHORT"]],
    ["reserved", "admin", ["RESERVED"], ["RESERVED"]],
    ["number-like", "1.00", ["NUMBER_LIKE"], ["NUMBER_LIKE"]],
  ];
  for (const [what, name, withToken, withoutToken] of cases) {
    await t.step(`${what}: ${withToken} with the token, ${withoutToken} without`, async () => {
      const authenticated = await api.call("GET", `/v1/usernames/${name}`);
      assert.equal(authenticated.status, 200);
      assert.deepEqual(authenticated.body.reasons, withToken);
      for (const headers of [ANONYMOUS, { authorization: "Bearer not-the-token-at-all" }]) {
        const anonymous = await api.call("GET", `/v1/usernames/${name}`, undefined, headers);
        assert.equal(anonymous.status, 200);
        assert.deepEqual(Object.keys(anonymous.body).sort(), [
          "available",
          "reasons",
          "suggestions",
        ]);
        assert.equal(anonymous.body.available, withToken.length === 0);
        assert.deepEqual(anonymous.body.reasons, withoutToken);
        assert.deepEqual(
          anonymous.body.suggestions,
          authenticated.body.suggestions.length > 0 ? anonymous.body.suggestions : [],
        );
      }
    });
  }
});

Deno.test("anonymous checks are rate-limited per client: 429 with Retry-After, then a token comes back", async (t) => {
  await using db = await migrated();
  await using api = await startApi(db, { usernameCheckLimit: { ratePerSecond: 5, burst: 3 } });
  const anonymousCheck = () => api.call("GET", "/v1/usernames/grace_hopper", undefined, ANONYMOUS);

  await t.step("a burst of 3 is answered, the 4th gets 429 and Retry-After", async () => {
    for (let i = 0; i < 3; i++) assert.equal((await anonymousCheck()).status, 200);
    const limited = await anonymousCheck();
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, "rate_limited");
    assert.equal(limited.retryAfter, "1");
  });
  await t.step("callers with the token are not limited", async () => {
    for (let i = 0; i < 5; i++) {
      assert.equal((await api.call("GET", "/v1/usernames/grace_hopper")).status, 200);
    }
  });
  await t.step("the bucket refills at the configured rate", async () => {
    const started = Date.now();
    await waitFor("a token", async () => (await anonymousCheck()).status === 200, {
      timeoutMs: 5_000,
      intervalMs: 20,
    });
    // One token every 200 ms: well within the second Retry-After announced.
    assert.ok(Date.now() - started <= 1_000, `${Date.now() - started} ms`);
    assert.equal((await anonymousCheck()).status, 429);
  });
});

Deno.test("display names from the API: NUL refused, controls removed, at most 256 code points", async (t) => {
  await using db = await migrated();
  await using api = await startApi(db, { maxBodyBytes: 16_384 });
  const accepted: [string, string, string][] = [
    ["bidi override and zero-width removed", "\u202EAda\u200B Love\u2066lace", "Ada Lovelace"],
    ["a terminal escape removed whole", "\x1b[31mRed\x1b[0m", "Red"],
    ["a line break becomes a space", "Ada\nLovelace", "Ada Lovelace"],
    ["emoji sequences kept", "👩‍💻 dev", "👩‍💻 dev"],
    ["256 astral code points", "😀".repeat(256), "😀".repeat(256)],
    ["invisible characters do not count", "\u200B".repeat(100) + "x".repeat(256), "x".repeat(256)],
  ];
  for (const [what, displayName, stored] of accepted) {
    await t.step(`${what}: 201`, async () => {
      const created = await api.call("POST", "/v1/accounts", { display_name: displayName });
      assert.equal(created.status, 201);
      assert.equal(created.body.display_name, stored);
      const { rows } = await withClient(
        db.url,
        (c) =>
          c.query("select display_name from identity.accounts where public_id = $1", [
            created.body.public_id,
          ]),
      );
      assert.equal(rows[0].display_name, stored);
    });
  }
  const refused: [string, string, string[]][] = [
    ["NUL", "\u0000", ["CONTROL_CHAR"]],
    ["NUL inside a name", "Ada\u0000Lovelace", ["CONTROL_CHAR"]],
    ["257 code points", "x".repeat(257), ["TOO_LONG"]],
    ["257 code points once cleaned", "\u202E" + "é".repeat(257), ["TOO_LONG"]],
  ];
  for (const [what, displayName, reasons] of refused) {
    await t.step(`${what}: 400`, async () => {
      const answer = await api.call("POST", "/v1/accounts", {
        username: "someone_new",
        display_name: displayName,
      });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error.code, "invalid_display_name");
      assert.deepEqual(answer.body.error.reasons, reasons);
    });
  }
  await t.step("nothing refused was created", async () => {
    const check = await api.call("GET", "/v1/usernames/someone_new");
    assert.equal(check.body.available, true);
  });
});
