/** The replication slot as the legacy server sees it: activity, lag, WAL retention. */
import type pg from "../db/pg.ts";

/** One slot's row of `pg_replication_slots`, with its lag computed. */
export interface SlotStatus {
  active: boolean;
  /** reserved, extended, unreserved or lost; null before PostgreSQL reports one. */
  walStatus: string | null;
  /** Bytes of WAL that may still be written before the slot is lost; null: no limit. */
  safeWalBytes: number | null;
  /** Current WAL position minus the slot's confirmed position, in bytes. */
  lagBytes: number | null;
  confirmedFlushLsn: string | null;
}

/** Reads `slotName`'s status on the legacy server; null when the slot does not exist. */
export async function readSlotStatus(
  client: pg.ClientBase,
  slotName: string,
): Promise<SlotStatus | null> {
  const { rows } = await client.query(
    `select active, wal_status, safe_wal_size::float8 as safe_wal_bytes,
            pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 as lag_bytes,
            confirmed_flush_lsn::text as confirmed_flush_lsn
     from pg_replication_slots where slot_name = $1`,
    [slotName],
  );
  const row = rows[0];
  if (row === undefined) return null;
  return {
    active: row.active,
    walStatus: row.wal_status,
    safeWalBytes: row.safe_wal_bytes,
    lagBytes: row.lag_bytes,
    confirmedFlushLsn: row.confirmed_flush_lsn,
  };
}
