/** The replication slot as the legacy server sees it: activity, lag, WAL retention, failover. */
import type pg from "../db/pg.ts";
import { type FailoverReadiness, judgeFailoverReadiness } from "../legacy/slot_failover.ts";

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
  /**
   * Whether a failover of the legacy primary now would keep the slot, as the primary shows it;
   * null where the server cannot keep slots over a failover (before 17) or it is not wanted.
   */
  failover: FailoverReadiness | null;
}

/**
 * Reads `slotName`'s status on the legacy server; null when the slot does not exist. With
 * `failover` (SLOT_FAILOVER), also whether a failover would keep it.
 */
export async function readSlotStatus(
  client: pg.ClientBase,
  slotName: string,
  options: { failover?: boolean } = {},
): Promise<SlotStatus | null> {
  // to_jsonb: `failover` exists from PostgreSQL 17, as does synchronized_standby_slots.
  const { rows } = await client.query(
    `select active, wal_status, safe_wal_size::float8 as safe_wal_bytes,
            pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 as lag_bytes,
            confirmed_flush_lsn::text as confirmed_flush_lsn,
            (to_jsonb(s) ->> 'failover')::boolean as failover,
            current_setting('synchronized_standby_slots', true) as standby_slots,
            (select coalesce(jsonb_object_agg(p.slot_name, p.active), '{}')
             from pg_replication_slots p where p.slot_type = 'physical') as physical_slots
     from pg_replication_slots s where slot_name = $1`,
    [slotName],
  );
  const row = rows[0];
  if (row === undefined) return null;
  const judged = options.failover && row.failover !== null && row.standby_slots !== null;
  return {
    active: row.active,
    walStatus: row.wal_status,
    safeWalBytes: row.safe_wal_bytes,
    lagBytes: row.lag_bytes,
    confirmedFlushLsn: row.confirmed_flush_lsn,
    failover: judged
      ? judgeFailoverReadiness({
        failover: row.failover,
        synchronizedStandbySlots: row.standby_slots,
        physicalSlots: new Map(Object.entries(row.physical_slots as Record<string, boolean>)),
      })
      : null,
  };
}
