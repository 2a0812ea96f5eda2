/**
 * The two throw-away PostgreSQL 18 servers of a benchmark: the legacy one, and the target one that
 * holds the identity database and the native subscriber's database. On a server of its own the
 * identity tables' writes never reach the legacy WAL, so no slot decodes them.
 */
import pg from "../src/db/pg.ts";
import { withClient } from "../src/db/sessions.ts";
import { startTestServer } from "../tests/support/test_server.ts";
import { processCpu } from "./process_cpu.ts";

/** The identity tables' database on the target server. */
export const IDENTITY_DATABASE = "identity";
/** The native subscriber's database on the target server. */
export const NATIVE_DATABASE = "native";

/** A running server: its `postgres` database and its postmaster. */
export interface BenchServer {
  url: string;
  pid: number;
}

/** Both servers, and how to stop them. */
export interface BenchServers extends AsyncDisposable {
  legacy: BenchServer;
  target: BenchServer;
  /** The identity database's URL. */
  identityUrl: string;
  /** The native subscriber's database's URL. */
  nativeUrl: string;
}

/** Starts the legacy and the target server. */
export async function startBenchServers(): Promise<BenchServers> {
  const legacy = await startTestServer(18);
  const target = await startTestServer(18).catch(async (error) => {
    await legacy.stop();
    throw error;
  });
  const stop = async () => {
    await target.stop();
    await legacy.stop();
  };
  try {
    return {
      legacy: { url: legacy.url, pid: await postmasterPid(legacy.url) },
      target: { url: target.url, pid: await postmasterPid(target.url) },
      identityUrl: withDatabase(target.url, IDENTITY_DATABASE),
      nativeUrl: withDatabase(target.url, NATIVE_DATABASE),
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Drops the database `name` on the server of `url` (its sessions cut) and creates it empty. */
export async function recreateDatabase(url: string, name: string): Promise<void> {
  await withClient(url, async (client) => {
    await client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`);
    await client.query(`create database ${client.escapeIdentifier(name)}`);
  });
}

/** Drops every replication slot (their walsenders stopped first) and publication of `url`. */
export async function dropReplication(url: string): Promise<void> {
  await withClient(url, async (client) => {
    await client.query(`select pg_terminate_backend(active_pid, 5000) from pg_replication_slots
                        where active_pid is not null`);
    await client.query("select pg_drop_replication_slot(slot_name) from pg_replication_slots");
    const { rows } = await client.query<{ pubname: string }>("select pubname from pg_publication");
    for (const { pubname } of rows) {
      await client.query(`drop publication ${client.escapeIdentifier(pubname)}`);
    }
  });
}

/** A connected client of `url`. */
export async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  return client;
}

/** `url` with another database name. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** The postmaster of the server at `url`: the parent of a backend. */
async function postmasterPid(url: string): Promise<number> {
  return await withClient(url, async (client) => {
    const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
    const backend = processCpu(rows[0]!.pid);
    if (!backend) throw new Error(`Cannot find the postmaster of ${new URL(url).host}`);
    return backend.ppid;
  });
}
