/** Shared set-up of the snapshot tests: a legacy table, a config, the CLI. */
import { type Config, parseConfig } from "../../src/config.ts";
import { createLegacyUsersTable, insertLegacyUsers } from "../../src/demo/legacy_users.ts";
import { runSync } from "../../src/sync/run_sync.ts";
import { verifyInvariants, type VerifyResult } from "../../src/verify/verify_invariants.ts";
import type { TestDatabase } from "./test_database.ts";
import { withClient } from "./test_database.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

/** The environment a command needs to work on `db` alone: its own slot, the legacy table in it. */
export function snapshotEnv(
  db: TestDatabase,
  env: Record<string, string> = {},
): Record<string, string> {
  return {
    LEGACY_DATABASE_URL: db.url,
    SLOT_NAME: db.name,
    PUBLICATION_NAME: db.name,
    LOG_LEVEL: "error",
    // Tests run many commands at once: each listener takes a free port of its own.
    OPS_HTTP_PORT: "0",
    API_HTTP_PORT: "0",
    ...env,
  };
}

/** The configuration of {@linkcode snapshotEnv}. */
export function snapshotConfig(db: TestDatabase, env: Record<string, string> = {}): Config {
  return parseConfig({ env: snapshotEnv(db, env) });
}

/** `deno task sync` on `db` in this process, with `env`; abort `stop` and await `daemon` to end it. */
export function syncInProcess(
  db: TestDatabase,
  env: Record<string, string> = {},
): { stop: AbortController; daemon: Promise<void> } {
  const stop = new AbortController();
  const daemon = runSync({
    config: snapshotConfig(db, env),
    legacyUrl: db.url,
    identityUrl: db.url,
    signal: stop.signal,
  });
  return { stop, daemon };
}

/** Creates `public.users` in `db` with `rows` generated messy users. */
export async function seedLegacyUsers(
  db: TestDatabase,
  rows: number,
  options: { seed?: number } = {},
): Promise<void> {
  await withClient(db.url, async (client) => {
    await createLegacyUsersTable(client);
    await insertLegacyUsers(client, { rows, seed: options.seed ?? 1 });
  });
}

/** Runs `deno task <command>` on `db` through the real CLI. */
export async function runCli(
  db: TestDatabase,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: snapshotEnv(db, env),
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** Starts `deno task sync` on `db` in a process of its own; its stdout is dropped. */
export function spawnSync(
  db: TestDatabase,
  env: Record<string, string> = {},
  options: { stderr?: "piped" | "null" } = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "sync"],
    env: snapshotEnv(db, env),
    stdout: "null",
    stderr: options.stderr ?? "null",
  }).spawn();
}

/** Checks the design's invariants on `db`. */
export function verifyDatabase(db: TestDatabase): Promise<VerifyResult> {
  const config = snapshotConfig(db);
  return verifyInvariants({ legacyUrl: db.url, identityUrl: db.url }, {
    legacyTable: config.legacyTable,
    legacyColumns: config.legacyColumns,
    slotName: config.replication.slotName,
  });
}

/** Every account of `db`: legacy id → username, public ID and source. */
export async function accountsOf(
  db: TestDatabase,
): Promise<Map<string, { username: string; publicId: string; source: string }>> {
  return await withClient(db.url, async (client) => {
    const { rows } = await client.query(
      "select legacy_id, username, public_id, username_source from identity.accounts",
    );
    return new Map(
      rows.map((r) => [r.legacy_id, {
        username: r.username,
        publicId: r.public_id,
        source: r.username_source,
      }]),
    );
  });
}
