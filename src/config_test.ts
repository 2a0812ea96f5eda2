import assert from "node:assert/strict";
import { ConfigError, describeUrl, parseConfig } from "./config.ts";

Deno.test("parseConfig() gives the design's defaults when nothing is set", () => {
  const config = parseConfig({ env: {} });

  assert.equal(config.legacyDatabaseUrl, undefined);
  assert.equal(config.identityDatabaseUrl, undefined);
  assert.deepEqual(config.legacyTable, { schema: "public", name: "users" });
  assert.deepEqual(config.legacyColumns, {
    id: "id",
    username: "username",
    createdAt: "created_at",
    displayName: "display_name",
  });
  assert.equal(config.legacyTimezone, "UTC");
  assert.deepEqual(config.protectedNames, []);
  assert.equal(config.logLevel, "info");
  assert.deepEqual(config.embedded, { dataDir: ".data/postgres", port: 54329 });
  assert.deepEqual(config.replication, {
    slotName: "identity_sync",
    publicationName: "identity_sync",
    slotFailover: true,
  });
  assert.equal(config.snapshot.dryRun, false);
  assert.equal(config.snapshot.rangeSize, 50_000);
  assert.ok(config.snapshot.workers >= 1);
  assert.equal(config.demo.rows, 100_000);
  assert.deepEqual(config.ops, { host: "127.0.0.1", port: 9464, readyMaxLagSeconds: 30 });
  assert.deepEqual(config.api, {
    host: "127.0.0.1",
    port: 8080,
    token: undefined,
    maxBodyBytes: 16_384,
    usernameCheck: { ratePerSecond: 2, burst: 20 },
    maxInFlight: 64,
    anonymousInFlight: 8,
    requestTimeoutMs: 10_000,
    poolSize: 10,
    acquireTimeoutMs: 2_000,
    statementTimeoutMs: 5_000,
  });
  assert.equal(config.status.json, false);
  assert.equal(config.sync.streamInProgress, true);
  assert.equal(config.sync.decodingWorkMem, "8MB");
});

Deno.test("parseConfig() lets flags override the environment", () => {
  const config = parseConfig({
    env: { LEGACY_TABLE: "legacy.members", LOG_LEVEL: "debug" },
    flags: { "legacy-table": "accounts", "embedded-pg-port": "6000" },
  });

  assert.deepEqual(config.legacyTable, { schema: "public", name: "accounts" });
  assert.equal(config.logLevel, "debug");
  assert.equal(config.embedded.port, 6000);
});

Deno.test("parseConfig() reads lists and optional columns", () => {
  const config = parseConfig({
    env: {
      // A comma in the password is not a second host.
      LEGACY_DATABASE_URL: "postgres://u:p,q@db:5432/legacy",
      PROTECTED_NAMES: " paypal, google ,,",
      LEGACY_DISPLAY_NAME_COLUMN: "",
      LEGACY_TIMEZONE: "America/Argentina/Buenos_Aires",
    },
  });

  assert.equal(config.legacyTimezone, "America/Argentina/Buenos_Aires");

  assert.equal(config.legacyDatabaseUrl, "postgres://u:p,q@db:5432/legacy");
  assert.deepEqual(config.protectedNames, ["paypal", "google"]);
  assert.equal(config.legacyColumns.displayName, undefined);
});

Deno.test("parseConfig() names the bad setting and why, in one line", async (t) => {
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ LEGACY_DATABASE_URL: "mysql://db/x" }, "LEGACY_DATABASE_URL", /postgres:\/\/ or postgresql/],
    [{ LEGACY_DATABASE_URL: "not a url" }, "LEGACY_DATABASE_URL", /URL with a host/],
    [
      {
        LEGACY_DATABASE_URL:
          "postgres://u:p@h1:5432,h2:5432/legacy?target_session_attrs=read-write",
      },
      "LEGACY_DATABASE_URL",
      /several hosts.*connects to one.*Legacy primary failover/,
    ],
    [{ LEGACY_TABLE: "a.b.c" }, "LEGACY_TABLE", /schema\.table/],
    [{ LEGACY_TABLE: "users; drop" }, "LEGACY_TABLE", /plain SQL identifier/],
    [{ LEGACY_USERNAME_COLUMN: "user name" }, "LEGACY_USERNAME_COLUMN", /plain SQL identifier/],
    [{ LEGACY_TIMEZONE: "Mars/Olympus_Mons" }, "LEGACY_TIMEZONE", /IANA time zone name/],
    [{ LEGACY_TIMEZONE: "America/New York" }, "LEGACY_TIMEZONE", /IANA time zone name/],
    [{ LEGACY_TIMEZONE: "+05:30" }, "LEGACY_TIMEZONE", /IANA time zone name/],
    [{ LEGACY_TIMEZONE: "UTC+3" }, "LEGACY_TIMEZONE", /LEGACY_TIMEZONE="UTC\+3"/],
    [{ LEGACY_TIMEZONE: "" }, "LEGACY_TIMEZONE", /such as UTC or America\/New_York/],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL", /LOG_LEVEL="loud"/],
    [{ LOG_FORMAT: "xml" }, "LOG_FORMAT", /LOG_FORMAT="xml"/],
    [{ EMBEDDED_PG_PORT: "99999" }, "EMBEDDED_PG_PORT", /1024 to 65535/],
    [{ EMBEDDED_PG_PORT: "12ab" }, "EMBEDDED_PG_PORT", /whole number/],
    [{ IDENTITY_DATABASE_URL: "postgres://db/x" }, "IDENTITY_DATABASE_URL", /LEGACY_DATABASE_URL/],
    [{ SNAPSHOT_WORKERS: "0" }, "SNAPSHOT_WORKERS", /from 1 to 256/],
    [{ SNAPSHOT_RANGE_SIZE: "ten" }, "SNAPSHOT_RANGE_SIZE", /whole number/],
    [{ SLOT_NAME: "Identity-Sync" }, "SLOT_NAME", /replication slot name/],
    [{ PUBLICATION_NAME: "IdentitySync" }, "PUBLICATION_NAME", /a-z, 0-9 and _/],
    [{ SNAPSHOT_DRY_RUN: "maybe" }, "SNAPSHOT_DRY_RUN", /true or false/],
    [{ SLOT_FAILOVER: "on" }, "SLOT_FAILOVER", /true or false/],
    [{ SYNC_STREAM_IN_PROGRESS: "yes" }, "SYNC_STREAM_IN_PROGRESS", /true or false/],
    [{ SYNC_DECODING_WORK_MEM: "8 MB" }, "SYNC_DECODING_WORK_MEM", /from 64kB to 2GB/],
    [{ SYNC_DECODING_WORK_MEM: "32kB" }, "SYNC_DECODING_WORK_MEM", /from 64kB to 2GB/],
    [{ SYNC_DECODING_WORK_MEM: "3GB" }, "SYNC_DECODING_WORK_MEM", /from 64kB to 2GB/],
    [{ OPS_HTTP_PORT: "70000" }, "OPS_HTTP_PORT", /0 to 65535/],
    [{ OPS_HTTP_HOST: "a b" }, "OPS_HTTP_HOST", /host name or IP/],
    [{ API_HTTP_PORT: "-1" }, "API_HTTP_PORT", /0 to 65535/],
    [{ API_HTTP_HOST: "a/b" }, "API_HTTP_HOST", /host name or IP/],
    [{ API_HTTP_PORT: "9464" }, "API_HTTP_PORT", /also OPS_HTTP_PORT/],
    [{ HTTP_PORT: "0" }, "HTTP_PORT", /no longer read.*OPS_HTTP_PORT.*API_HTTP_PORT/],
    [{ HTTP_HOST: "0.0.0.0" }, "HTTP_HOST", /no longer read.*OPS_HTTP_HOST.*API_HTTP_HOST/],
    [{ API_MAX_IN_FLIGHT: "1" }, "API_MAX_IN_FLIGHT", /from 2 to/],
    [{ API_ANONYMOUS_IN_FLIGHT: "0" }, "API_ANONYMOUS_IN_FLIGHT", /from 1 to/],
    [{ API_ANONYMOUS_IN_FLIGHT: "10" }, "API_ANONYMOUS_IN_FLIGHT", /less than API_DB_POOL_SIZE/],
    [
      { API_ANONYMOUS_IN_FLIGHT: "4", API_DB_POOL_SIZE: "8", API_MAX_IN_FLIGHT: "4" },
      "API_ANONYMOUS_IN_FLIGHT",
      /API_MAX_IN_FLIGHT \(4\)/,
    ],
    [{ API_REQUEST_TIMEOUT_MS: "5s" }, "API_REQUEST_TIMEOUT_MS", /whole number/],
    [{ API_DB_POOL_SIZE: "1" }, "API_DB_POOL_SIZE", /from 2 to/],
    [{ API_DB_ACQUIRE_TIMEOUT_MS: "0" }, "API_DB_ACQUIRE_TIMEOUT_MS", /from 10 to/],
    [{ API_STATEMENT_TIMEOUT_MS: "10000" }, "API_STATEMENT_TIMEOUT_MS", /less than API_REQUEST/],
    [{ API_DB_ACQUIRE_TIMEOUT_MS: "20000" }, "API_DB_ACQUIRE_TIMEOUT_MS", /less than API_REQUEST/],
    [{ READY_MAX_LAG_SECONDS: "0" }, "READY_MAX_LAG_SECONDS", /from 1 to/],
    [{ API_TOKEN: "short" }, "API_TOKEN", /at least 16 characters/],
    [{ API_MAX_BODY_BYTES: "1" }, "API_MAX_BODY_BYTES", /from 256/],
    [{ USERNAME_CHECK_RATE: "0" }, "USERNAME_CHECK_RATE", /greater than 0/],
    [{ USERNAME_CHECK_RATE: "-1" }, "USERNAME_CHECK_RATE", /greater than 0/],
    [{ USERNAME_CHECK_RATE: "fast" }, "USERNAME_CHECK_RATE", /USERNAME_CHECK_RATE="fast"/],
    [{ USERNAME_CHECK_RATE: "1e3" }, "USERNAME_CHECK_RATE", /e\.g\. 0\.5/],
    [{ USERNAME_CHECK_RATE: "200000" }, "USERNAME_CHECK_RATE", /at most 100000/],
    [{ USERNAME_CHECK_BURST: "0" }, "USERNAME_CHECK_BURST", /from 1 to/],
    [{ USERNAME_CHECK_BURST: "2.5" }, "USERNAME_CHECK_BURST", /whole number/],
  ];
  for (const [env, setting, message] of cases) {
    await t.step(`${setting}: ${JSON.stringify(env)}`, () => {
      assert.throws(() => parseConfig({ env }), (error) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.setting, setting);
        assert.match(error.message, message);
        assert.ok(!error.message.includes("\n"));
        return true;
      });
    });
  }
});

Deno.test("parseConfig() reads the username check's rate limit, flags first", () => {
  const config = parseConfig({
    env: { USERNAME_CHECK_RATE: "0.5", USERNAME_CHECK_BURST: "3" },
    flags: { "username-check-burst": "7" },
  });

  assert.deepEqual(config.api.usernameCheck, { ratePerSecond: 0.5, burst: 7 });
});

Deno.test("parseConfig() names the flag when the bad value came from a flag", () => {
  assert.throws(
    () => parseConfig({ env: {}, flags: { "log-level": "loud" } }),
    /^ConfigError: --log-level="loud"/,
  );
});

Deno.test("parseConfig() names a bad database URL by scheme and host only", async (t) => {
  const cases: [string, string][] = [
    ["mysql://u:secret@db/x", "mysql://db"],
    // `/` in a password breaks the URL: the password must not show through what is left.
    ["postgres://u:pa/secret@db.internal/x", "postgres://db.internal"],
    // What follows `#` or `?` may be a password too: cut there, the user name is what is left.
    ["postgres://u:pa#secret@db/x", "postgres://u"],
    ["postgres://u:secret", "postgres://u"],
    ["postgres:///x?host=/tmp&password=secret", "postgres://(no host)"],
    ["secret", "(not a URL)"],
  ];
  for (const [url, shown] of cases) {
    for (const setting of ["LEGACY_DATABASE_URL", "IDENTITY_DATABASE_URL"]) {
      await t.step(`${setting}=${url}`, () => {
        const env = { LEGACY_DATABASE_URL: "postgres://db/x", [setting]: url };
        assert.throws(() => parseConfig({ env }), (error: Error) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.message.includes("secret"), false, error.message);
          assert.match(error.message, new RegExp(`^${setting}="${RegExp.escape(shown)}" must be`));
          return true;
        });
      });
    }
  }
  await t.step("a flag's value too", () => {
    assert.throws(
      () => parseConfig({ env: {}, flags: { "legacy-database-url": "postgres://u:a/secret@db" } }),
      /^ConfigError: --legacy-database-url="postgres:\/\/db" must be/,
    );
  });
});

Deno.test("describeUrl() keeps a URL's scheme, host and port, never a user, password or option", () => {
  assert.equal(describeUrl("postgres://u:secret@db:5433/x?password=secret"), "postgres://db:5433");
  assert.equal(describeUrl("postgresql://[::1]:5432/x"), "postgresql://[::1]:5432");
  assert.equal(describeUrl("postgres://u:p%2Fsecret@db/x"), "postgres://db");
});

Deno.test("parseConfig() never prints the API token", () => {
  assert.throws(
    () => parseConfig({ env: { API_TOKEN: "secret-but-short".slice(0, 10) } }),
    (error: Error) => !error.message.includes("secret") && error.message.includes("***"),
  );
  assert.equal(parseConfig({ env: { API_TOKEN: "" } }).api.token, undefined);
});
