/**
 * Replication slots with an exported snapshot: the copy and the stream meet at
 * the slot's consistent point. The snapshot stays importable only while the
 * connection that exported it stays open and idle.
 */
import pg from "../db/pg.ts";
import { FAILOVER_SLOTS_SINCE, serverVersion } from "../legacy/slot_failover.ts";

/** A snapshot exported by a slot's creation, importable while it is open. */
export interface ExportedSnapshot {
  slotName: string;
  /** Where the slot's stream starts: every transaction committed before it is in the snapshot. */
  consistentPoint: string;
  snapshotName: string;
  /** Closes the exporting connection; a temporary slot goes with it. */
  close(): Promise<void>;
}

/**
 * Creates the logical replication slot `slotName` (pgoutput) and exports its
 * snapshot. A temporary slot gives a resumed snapshot an exact consistent
 * point of its own and disappears when closed. With `failover`, a server that
 * can (PostgreSQL 17+) keeps the slot over a failover to a standby that
 * synchronizes it.
 */
export async function createSlotWithSnapshot(
  url: string,
  slotName: string,
  options: { temporary?: boolean; failover?: boolean } = {},
): Promise<ExportedSnapshot> {
  const client = new pg.Client(
    { connectionString: url, replication: "database" } as pg.ClientConfig,
  );
  client.on("error", () => {});
  await client.connect();
  try {
    const failover = options.failover && !options.temporary &&
      await serverVersion(client) >= FAILOVER_SLOTS_SINCE;
    // EXPORT_SNAPSHOT is the pre-15 spelling of (SNAPSHOT 'export'): PostgreSQL 14 knows only it.
    const { rows } = await client.query<{ consistent_point: string; snapshot_name: string }>(
      `CREATE_REPLICATION_SLOT "${slotName}" ${
        options.temporary ? "TEMPORARY " : ""
      }LOGICAL pgoutput ${failover ? "(SNAPSHOT 'export', FAILOVER true)" : "EXPORT_SNAPSHOT"}`,
    );
    const row = rows[0]!;
    return {
      slotName,
      consistentPoint: row.consistent_point,
      snapshotName: row.snapshot_name,
      close: () => client.end(),
    };
  } catch (cause) {
    await client.end().catch(() => {});
    throw new Error(
      `Cannot create replication slot "${slotName}": ${(cause as Error).message}`,
      { cause },
    );
  }
}

const SNAPSHOT_NAME = /^[0-9A-F]+(-[0-9A-F]+)+$/i;

/**
 * Starts a read-only repeatable-read transaction on `client` that sees the
 * exported snapshot `snapshotName`. Returns false (and no transaction) when the
 * snapshot is gone, i.e. its exporting connection has closed.
 */
export async function importSnapshot(
  client: pg.ClientBase,
  snapshotName: string,
): Promise<boolean> {
  if (!SNAPSHOT_NAME.test(snapshotName)) {
    throw new TypeError(`Cannot import snapshot "${snapshotName}": not a snapshot name`);
  }
  await client.query("begin isolation level repeatable read read only");
  try {
    await client.query(`set transaction snapshot '${snapshotName}'`);
    return true;
  } catch (error) {
    await client.query("rollback");
    // 22023 "invalid snapshot identifier", 42704 "snapshot … does not exist".
    const code = (error as { code?: string }).code;
    if (code === "22023" || code === "42704") return false;
    throw error;
  }
}
