import assert from "node:assert/strict";
import {
  embeddedUrl,
  isAcceptingConnections,
  startEmbeddedPostgres,
} from "../src/db/embedded_postgres.ts";
import { serverMajor, testServerUrl } from "./support/test_database.ts";
import { freePort } from "./support/test_server.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

async function migrateOnEmbedded(dataDir: string, port: number) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "migrate"],
    env: {
      EMBEDDED_PG_DIR: dataDir,
      EMBEDDED_PG_PORT: String(port),
      LOG_LEVEL: "error",
      // Empty URLs mean "not set": the command must fall back to the embedded default.
      LEGACY_DATABASE_URL: "",
      IDENTITY_DATABASE_URL: "",
    },
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

Deno.test("the suite runs on the PostgreSQL major it names", async () => {
  const named = Deno.env.get("TEST_PG_MAJOR");
  const major = await serverMajor(testServerUrl());
  if (named) assert.equal(major, Number(named));
  assert.ok(major >= 14, `PostgreSQL ${major} is older than the oldest supported major`);
});

Deno.test("with no database URL, migrate starts the embedded default, keeps its data and stops it on exit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "embedded-default-" });
  await Deno.chmod(dir, 0o755);
  const port = freePort();
  try {
    const first = await migrateOnEmbedded(`${dir}/pg`, port);
    assert.equal(first.embedded, true);
    assert.ok(first.applied.length > 0);
    assert.equal(await isAcceptingConnections(embeddedUrl(port)), false);

    const second = await migrateOnEmbedded(`${dir}/pg`, port);
    assert.deepEqual(second.applied, []);
    assert.deepEqual(second.already_applied, first.applied);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "with no database URL, migrate reuses an embedded default that is already running",
  // embedded-postgres registers process exit hooks (signal listeners) when loaded.
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "embedded-reuse-" });
  await Deno.chmod(dir, 0o755);
  const port = freePort();
  const server = await startEmbeddedPostgres({ dataDir: `${dir}/pg`, port, persistent: false });
  try {
    const report = await migrateOnEmbedded(`${dir}/pg`, port);
    assert.equal(report.embedded, true);
    // The command did not start it, so it leaves it running.
    assert.equal(await isAcceptingConnections(server.url), true);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "demo runs the whole job on an embedded PostgreSQL of its own and verify passes twice",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "embedded-demo-" });
  await Deno.chmod(dir, 0o755);
  const port = freePort();
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "demo", "--rows", "3000"],
      env: {
        EMBEDDED_PG_DIR: `${dir}/pg`,
        EMBEDDED_PG_PORT: String(port),
        LOG_LEVEL: "error",
        LEGACY_DATABASE_URL: "",
        IDENTITY_DATABASE_URL: "",
        SYNC_BATCH_MS: "50",
      },
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    assert.match(stdout, /verify: every invariant holds/);
    assert.match(stdout, /verify after streaming: every invariant holds/);
    assert.match(stdout, / → /);
    const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
    assert.equal(summary.rows, 3_000);
    assert.equal(summary.verify_ok, true);
    assert.ok(summary.stream.applied > 0);
    assert.equal(await isAcceptingConnections(embeddedUrl(port)), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
