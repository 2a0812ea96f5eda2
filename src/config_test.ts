import assert from "node:assert/strict";
import { ConfigError, parseConfig, redactUrl } from "./config.ts";

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
  });
  assert.equal(config.snapshot.dryRun, false);
  assert.equal(config.snapshot.rangeSize, 50_000);
  assert.ok(config.snapshot.workers >= 1);
  assert.equal(config.demo.rows, 100_000);
  assert.deepEqual(config.http, { host: "127.0.0.1", port: 8080, readyMaxLagSeconds: 30 });
  assert.deepEqual(config.api, {
    token: undefined,
    maxBodyBytes: 16_384,
    usernameCheck: { ratePerSecond: 2, burst: 20 },
  });
  assert.equal(config.status.json, false);
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
      LEGACY_DATABASE_URL: "postgres://u:p@db:5432/legacy",
      PROTECTED_NAMES: " paypal, google ,,",
      LEGACY_DISPLAY_NAME_COLUMN: "",
      LEGACY_TIMEZONE: "America/Argentina/Buenos_Aires",
    },
  });

  assert.equal(config.legacyTimezone, "America/Argentina/Buenos_Aires");

  assert.equal(config.legacyDatabaseUrl, "postgres://u:p@db:5432/legacy");
  assert.deepEqual(config.protectedNames, ["paypal", "google"]);
  assert.equal(config.legacyColumns.displayName, undefined);
});

Deno.test("parseConfig() names the bad setting and why, in one line", async (t) => {
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ LEGACY_DATABASE_URL: "mysql://db/x" }, "LEGACY_DATABASE_URL", /postgres:\/\/ or postgresql/],
    [{ LEGACY_DATABASE_URL: "not a url" }, "LEGACY_DATABASE_URL", /URL with a host/],
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
    [{ HTTP_PORT: "70000" }, "HTTP_PORT", /0 to 65535/],
    [{ HTTP_HOST: "a b" }, "HTTP_HOST", /host name or IP/],
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
    await t.step(`${setting}: ${JSON.stringify(Object.values(env)[0])}`, () => {
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

Deno.test("parseConfig() never prints a database password", () => {
  assert.throws(
    () => parseConfig({ env: { LEGACY_DATABASE_URL: "mysql://u:secret@db/x" } }),
    (error: Error) => !error.message.includes("secret"),
  );
  assert.equal(redactUrl("postgres://u:secret@db/x"), "postgres://u:***@db/x");
});

Deno.test("parseConfig() never prints the API token", () => {
  assert.throws(
    () => parseConfig({ env: { API_TOKEN: "secret-but-short".slice(0, 10) } }),
    (error: Error) => !error.message.includes("secret") && error.message.includes("***"),
  );
  assert.equal(parseConfig({ env: { API_TOKEN: "" } }).api.token, undefined);
});
