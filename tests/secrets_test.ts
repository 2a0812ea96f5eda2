/**
 * Secrets and personal data (issue 14, item 5): a database password never shows in an error line,
 * a config error or a log line, whatever shape the URL has; `--api-token` on the command line is
 * warned about; the decision report is readable by its owner only.
 */
import assert from "node:assert/strict";
import { TOKEN } from "./support/account_api.ts";
import { runCli, seedLegacyUsers } from "./support/snapshot_fixture.ts";
import { createTestDatabase } from "./support/test_database.ts";
import { freePort } from "./support/test_server.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

/** Runs the CLI with `env` (no test database), returning its exit code and stderr. */
async function cli(args: string[], env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { LOG_LEVEL: "info", ...env },
    stdout: "null",
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

Deno.test("a database URL's password never shows in a config error, by variable or by flag", async (t) => {
  const cases = [
    "postgres://u:pa/s3cret@db.example/x",
    "postgres://u:pa#s3cret@db.example/x",
    "postgres://u:pa?s3cret@db.example/x",
    "postgres:///x?password=s3cret",
  ];
  for (const url of cases) {
    await t.step(url, async () => {
      for (
        const [args, env] of [
          [["migrate"], { LEGACY_DATABASE_URL: url }],
          [["migrate"], { LEGACY_DATABASE_URL: "postgres://db/x", IDENTITY_DATABASE_URL: url }],
          [["migrate", "--legacy-database-url", url], {}],
        ] as [string[], Record<string, string>][]
      ) {
        const run = await cli(args, env);
        assert.equal(run.code, 2, run.stderr);
        assert.equal(run.stderr.includes("s3cret"), false, run.stderr);
        assert.match(run.stderr, /(DATABASE_URL|database-url)="postgres:\/\/[^"]*" must be/);
        assert.match(run.stderr, /^error: .*\n$/m);
      }
    });
  }
});

Deno.test("a database that cannot be reached: the error line and the logs name no password", async (t) => {
  const port = freePort();
  const url = `postgres://u:s3cretA@127.0.0.1:${port}/x?password=s3cretB&sslmode=disable`;
  await t.step("migrate: one error line", async () => {
    const run = await cli(["migrate"], { LEGACY_DATABASE_URL: url });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^error: /m);
    assert.equal(/s3cret/.test(run.stderr), false, run.stderr);
  });
  await t.step("the daemon's reconnect warnings", async () => {
    const daemon = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "sync"],
      env: {
        LEGACY_DATABASE_URL: url,
        LOG_LEVEL: "debug",
        OPS_HTTP_PORT: "0",
        API_HTTP_PORT: "0",
      },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let stderr = "";
    const reader = daemon.stderr.pipeThrough(new TextDecoderStream()).getReader();
    // Until it has warned about the database twice (it retries with back-off).
    while ((stderr.match(/ECONNREFUSED/g) ?? []).length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      stderr += value;
    }
    daemon.kill("SIGTERM");
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      stderr += chunk.value;
    }
    await daemon.status;
    assert.match(stderr, /ECONNREFUSED/, "the daemon logged the failed connections");
    assert.equal(/s3cret/.test(stderr), false, stderr);
  });
});

Deno.test("--api-token and a URL flag with a password warn that flags show in the process list", async () => {
  await using db = await createTestDatabase();
  const token = await runCli(db, ["migrate", "--api-token", TOKEN]);
  assert.equal(token.code, 0, token.stderr);
  assert.match(
    token.stderr,
    /^warning: --api-token is visible to every user of this machine in the process list: set API_TOKEN instead$/m,
  );
  assert.equal(token.stderr.includes(TOKEN), false);
  const url = new URL(db.url);
  const flagged = await runCli(db, ["migrate", "--legacy-database-url", db.url]);
  assert.equal(flagged.code, 0, flagged.stderr);
  assert.equal(
    /warning: --legacy-database-url is visible/.test(flagged.stderr),
    url.password !== "",
    flagged.stderr,
  );
  assert.equal(flagged.stderr.includes(`:${url.password}@`), false);
  const quiet = await runCli(db, ["migrate"], { API_TOKEN: TOKEN });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr.includes("warning:"), false, quiet.stderr);
});

Deno.test("the decision report is created 0600, and an existing one made 0600", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 50);
  const dir = await Deno.makeTempDir();
  try {
    const fresh = `${dir}/report.jsonl`;
    const existing = `${dir}/existing.jsonl`;
    await Deno.writeTextFile(existing, "old\n", { mode: 0o644 });
    await Deno.chmod(existing, 0o644);
    for (const path of [fresh, existing]) {
      const run = await runCli(db, ["snapshot", "--dry-run", "--report", path]);
      assert.equal(run.code, 0, run.stderr);
      const { mode } = await Deno.stat(path);
      assert.equal((mode! & 0o777).toString(8), "600", path);
      assert.ok((await Deno.readTextFile(path)).includes('"legacy_id"'));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
