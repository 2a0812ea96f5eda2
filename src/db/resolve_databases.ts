/**
 * Turns the configuration into the two database URLs a command works on,
 * starting the embedded default when no URL is configured.
 */
import pg from "./pg.ts";
import type { Config } from "../config.ts";
import { type EmbeddedServer, embeddedUrl, startEmbeddedPostgres } from "./embedded_postgres.ts";

/** The database both sides use on the embedded default. */
export const EMBEDDED_DATABASE = "identity_sync";

/** The databases a command works on, and how to let go of them. */
export interface Databases {
  legacyUrl: string;
  identityUrl: string;
  /** Set when this command runs on the embedded default. */
  embedded?: EmbeddedServer;
  /** Stops the embedded default if this command started it. */
  close(): Promise<void>;
}

/** Resolves the legacy and identity URLs; with none configured, starts the embedded default. */
export async function resolveDatabases(
  config: Config,
  options: { onLog?: (line: string) => void } = {},
): Promise<Databases> {
  if (config.legacyDatabaseUrl) {
    const legacyUrl = config.legacyDatabaseUrl;
    const identityUrl = config.identityDatabaseUrl ?? legacyUrl;
    return { legacyUrl, identityUrl, close: () => Promise.resolve() };
  }
  const embedded = await startEmbeddedPostgres({
    dataDir: config.embedded.dataDir,
    port: config.embedded.port,
    onLog: options.onLog,
  });
  try {
    await ensureDatabase(embedded.url, EMBEDDED_DATABASE);
  } catch (error) {
    await embedded.stop();
    throw error;
  }
  const url = embeddedUrl(config.embedded.port, EMBEDDED_DATABASE);
  return { legacyUrl: url, identityUrl: url, embedded, close: () => embedded.stop() };
}

/** Creates the database `name` on the server at `serverUrl` unless it exists. */
export async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (rowCount) return;
    await client.query(`create database ${client.escapeIdentifier(name)}`).catch((error) => {
      // Another process created it between the check and the create.
      if ((error as { code?: string }).code !== "42P04") throw error;
    });
  } finally {
    await client.end();
  }
}
