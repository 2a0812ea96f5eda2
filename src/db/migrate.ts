/**
 * Applies the numbered migrations of `sql/` in order, once each, under an
 * advisory lock so that two processes starting at once do not race.
 */
import pg from "./pg.ts";

/** The key of the advisory lock every migrating process takes. */
export const MIGRATION_LOCK_KEY = 4_711_002_001;

const SQL_DIR = new URL("../../sql/", import.meta.url);
const MIGRATION_FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** A migration file of `sql/`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** What a run of {@linkcode migrate} did. */
export interface MigrationResult {
  /** Versions applied by this run, in order. */
  applied: number[];
  /** Versions that had been applied before. */
  alreadyApplied: number[];
}

/** Reads the migrations of `sql/`, ordered by version. */
export async function readMigrations(dir: URL = SQL_DIR): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = MIGRATION_FILE.exec(entry.name);
    if (!entry.isFile || !match) continue;
    const sql = await Deno.readTextFile(new URL(entry.name, dir));
    migrations.push({
      version: Number(match[1]),
      name: match[2]!,
      sql,
      checksum: await sha256(sql),
    });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new Error(`Cannot migrate: two migrations have version ${migrations[i]!.version}`);
    }
  }
  return migrations;
}

/** Brings the identity schema of the database at `url` up to date. */
export async function migrate(
  url: string,
  options: { migrations?: Migration[] } = {},
): Promise<MigrationResult> {
  const migrations = options.migrations ?? await readMigrations();
  const client = new pg.Client({ connectionString: url });
  // A session the server ends fails the query in flight; the event alone must not crash.
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      return await applyPending(client, migrations);
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

async function applyPending(client: pg.Client, migrations: Migration[]): Promise<MigrationResult> {
  await client.query(`
    create schema if not exists identity;
    create table if not exists identity.schema_migrations (
      version integer primary key,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`);
  const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
    "select version, name, checksum from identity.schema_migrations order by version",
  );
  const known = new Map(migrations.map((m) => [m.version, m]));
  for (const row of rows) {
    const migration = known.get(row.version);
    if (!migration) {
      throw new Error(
        `Cannot migrate: the database has migration ${row.version} (${row.name}), which this version does not know; it was migrated by a newer release`,
      );
    }
    if (migration.checksum !== row.checksum) {
      throw new Error(
        `Cannot migrate: migration ${row.version} (${row.name}) was edited after it was applied; add a new migration instead`,
      );
    }
  }
  const done = new Set(rows.map((row) => row.version));
  const applied: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    await client.query("begin");
    try {
      await client.query(migration.sql);
      await client.query(
        "insert into identity.schema_migrations (version, name, checksum) values ($1, $2, $3)",
        [migration.version, migration.name, migration.checksum],
      );
      await client.query("commit");
    } catch (cause) {
      await client.query("rollback");
      throw new Error(
        `Cannot migrate: migration ${migration.version} (${migration.name}) failed: ${
          (cause as Error).message
        }`,
        { cause },
      );
    }
    applied.push(migration.version);
  }
  return { applied, alreadyApplied: [...done].sort((a, b) => a - b) };
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
