/**
 * A legacy primary with a physical standby, as SREs run one on PostgreSQL 17+: the standby
 * streams the primary's WAL through a physical slot, keeps hot-standby feedback on and
 * synchronizes the primary's failover slots; the primary holds logical walsenders back until
 * that standby has the WAL (`synchronized_standby_slots`). The standby is made from a base
 * backup of the running primary, taken with `pg_backup_start`/`pg_backup_stop` and a file copy.
 */
import { withClient } from "../../src/db/sessions.ts";
import { EMBEDDED_PASSWORD, EMBEDDED_USER } from "../../src/db/embedded_postgres.ts";
import { freePort, type Major, runServer, startFromBinaries } from "./test_server.ts";
import { waitFor } from "./wait_for.ts";

/** The physical slot the standby streams from. */
export const STANDBY_SLOT = "failover_standby";

/** A primary, its standby, and the failover between them. */
export interface PrimaryAndStandby {
  /** URL of the primary's `postgres` database. */
  readonly primaryUrl: string;
  /** URL of the standby's `postgres` database (read-only until promoted). */
  readonly standbyUrl: string;
  /** Crashes the primary (immediate shutdown: nothing flushed after its last WAL write). */
  crashPrimary(): Promise<void>;
  /** Promotes the standby and waits until it accepts writes. */
  promoteStandby(): Promise<void>;
  /** Stops both servers and removes their data. */
  stop(): Promise<void>;
}

/** Starts a primary of `major` (17 or later) and a physical standby of it. */
export async function startPrimaryAndStandby(major: Major): Promise<PrimaryAndStandby> {
  const dir = await Deno.makeTempDir({ prefix: `identity-sync-failover${major}-` });
  await Deno.chmod(dir, 0o755);
  const primary = await startFromBinaries(major, `${dir}/primary`, freePort(), [
    "-c",
    `synchronized_standby_slots=${STANDBY_SLOT}`,
  ]);
  let standby: Awaited<ReturnType<typeof runServer>> | undefined;
  try {
    const dataDir = `${dir}/standby`;
    const primaryPort = new URL(primary.url).port;
    await withClient(primary.url, async (client) => {
      // Reserved now: the WAL from the backup's start on stays until the standby has read it.
      await client.query("select pg_create_physical_replication_slot($1, true)", [STANDBY_SLOT]);
      const { rows: [{ datadir }] } = await client.query(
        "select current_setting('data_directory') as datadir",
      );
      await client.query("select pg_backup_start('standby', true)");
      await copyDataDirectory(datadir, dataDir);
      const { rows: [stopped] } = await client.query(
        "select labelfile, spcmapfile from pg_backup_stop(false)",
      );
      await Deno.writeTextFile(`${dataDir}/backup_label`, stopped.labelfile);
      if (stopped.spcmapfile) {
        await Deno.writeTextFile(`${dataDir}/tablespace_map`, stopped.spcmapfile);
      }
    });
    await Deno.writeTextFile(`${dataDir}/standby.signal`, "");
    await chownLike(dataDir);
    const conninfo =
      `host=127.0.0.1 port=${primaryPort} user=${EMBEDDED_USER} password=${EMBEDDED_PASSWORD} dbname=postgres application_name=${STANDBY_SLOT}`;
    standby = await runServer(major, dataDir, freePort(), [
      "-c",
      `primary_conninfo=${conninfo}`,
      "-c",
      `primary_slot_name=${STANDBY_SLOT}`,
      "-c",
      "hot_standby_feedback=on",
      "-c",
      "sync_replication_slots=on",
      // The primary's setting names this standby's own slot: once promoted, nothing to wait for.
      "-c",
      "synchronized_standby_slots=",
    ]);
    const standbyServer = standby;
    await waitFor("the standby to stream from the primary", async () => {
      const { rows } = await withClient(
        primary.url,
        (client) =>
          client.query("select active from pg_replication_slots where slot_name = $1", [
            STANDBY_SLOT,
          ]),
      );
      return rows[0]?.active === true;
    }, { timeoutMs: 60_000 });
    return {
      primaryUrl: primary.url,
      standbyUrl: standbyServer.url,
      crashPrimary: () => primary.crash(),
      promoteStandby: async () => {
        await withClient(
          standbyServer.url,
          (client) => client.query("select pg_promote(true, 60)"),
        );
      },
      stop: async () => {
        await standbyServer.stop();
        await primary.stop();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      },
    };
  } catch (error) {
    await standby?.stop();
    await primary.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
}

/**
 * Copies a data directory for a base backup: everything but what the server recreates or a
 * standby must not inherit (its pid file, WAL it streams again, the primary's slots).
 */
async function copyDataDirectory(from: string, to: string): Promise<void> {
  const { success, stderr } = await new Deno.Command("cp", { args: ["-a", from, to] }).output();
  if (!success) throw new Error(`Cannot copy ${from}: ${new TextDecoder().decode(stderr)}`);
  for (const file of ["postmaster.pid", "postmaster.opts"]) {
    await Deno.remove(`${to}/${file}`).catch(() => {});
  }
  for (const folder of ["pg_wal", "pg_replslot"]) {
    for await (const entry of Deno.readDir(`${to}/${folder}`)) {
      if (entry.name !== "archive_status" && entry.name !== "summaries") {
        await Deno.remove(`${to}/${folder}/${entry.name}`, { recursive: true });
      }
    }
  }
}

/** Gives the files written into `dataDir` to its owner (the `postgres` user when root). */
async function chownLike(dataDir: string): Promise<void> {
  if (Deno.uid() !== 0) return;
  const { uid, gid } = await Deno.stat(dataDir);
  for (const file of ["backup_label", "tablespace_map", "standby.signal"]) {
    await Deno.chown(`${dataDir}/${file}`, uid!, gid!).catch(() => {});
  }
}
