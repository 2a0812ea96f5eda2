/** Where a run stands, read from both databases: the data of `deno task status`. */
import type pg from "../db/pg.ts";
import { readSlotStatus } from "./slot_status.ts";
import { countStandbyDaemons } from "./standby_daemons.ts";

/** Everything `status` reports, in its JSON shape. */
export interface SyncStatus {
  slot_name: string;
  /** created, snapshotting, assigning, snapshotted, streaming, failed; "none" before any run. */
  phase: string;
  snapshot: {
    ranges_total: number;
    ranges_done: number;
    rows_read: number;
    rows_estimate: number | null;
    progress_ratio: number | null;
    started_at: string | null;
    finished_at: string | null;
  };
  slot: {
    exists: boolean;
    active: boolean | null;
    wal_status: string | null;
    lag_bytes: number | null;
    safe_wal_bytes: number | null;
    confirmed_flush_lsn: string | null;
    /** Daemons standing by to take the slot over (the one streaming it makes it active). */
    standby_daemons: number;
    /**
     * Whether a failover of the legacy primary now would keep the slot; null where the server
     * cannot keep one (before PostgreSQL 17) or SLOT_FAILOVER is off.
     */
    failover_ready: boolean | null;
    /** Why not, when not. */
    failover_problem: string | null;
  };
  stream: {
    consistent_point: string | null;
    last_applied_lsn: string | null;
    last_commit_time: string | null;
    apply_lag_seconds: number | null;
  };
  dead_letters: { unresolved: number; total: number };
}

/** Reads the status of the run of `slotName`; `failover`: SLOT_FAILOVER. */
export async function readStatus(
  clients: { legacy: pg.ClientBase; identity: pg.ClientBase },
  slotName: string,
  options: { failover?: boolean } = {},
): Promise<SyncStatus> {
  const { identity } = clients;
  const { rows: states } = await identity.query(
    `select phase, rows_estimate::float8 as rows_estimate,
            snapshot_started_at, snapshot_finished_at, consistent_point::text as consistent_point,
            last_applied_lsn::text as last_applied_lsn, last_commit_time,
            extract(epoch from now() - last_commit_time)::float8 as apply_lag_seconds
     from identity.sync_state where slot_name = $1`,
    [slotName],
  );
  const { rows: [ranges] } = await identity.query(
    `select count(*)::int as total, count(*) filter (where status = 'done')::int as done,
            coalesce(sum(rows_read), 0)::float8 as rows_read
     from identity.snapshot_ranges where slot_name = $1`,
    [slotName],
  );
  const { rows: [letters] } = await identity.query(
    `select count(*) filter (where resolved_at is null)::int as unresolved, count(*)::int as total
     from identity.dead_letters`,
  );
  const state = states[0];
  const slot = await readSlotStatus(clients.legacy, slotName, options);
  const failover = slot?.failover ?? null;
  const standby = await countStandbyDaemons(clients.legacy, slotName);
  const estimate: number | null = state?.rows_estimate ?? null;
  const finished = state?.snapshot_finished_at != null;
  return {
    slot_name: slotName,
    phase: state?.phase ?? "none",
    snapshot: {
      ranges_total: ranges.total,
      ranges_done: ranges.done,
      rows_read: ranges.rows_read,
      rows_estimate: estimate,
      progress_ratio: finished
        ? 1
        : estimate
        ? Math.min(1, Number((ranges.rows_read / estimate).toFixed(4)))
        : null,
      started_at: state?.snapshot_started_at?.toISOString() ?? null,
      finished_at: state?.snapshot_finished_at?.toISOString() ?? null,
    },
    slot: {
      exists: slot !== null,
      active: slot?.active ?? null,
      wal_status: slot?.walStatus ?? null,
      lag_bytes: slot?.lagBytes ?? null,
      safe_wal_bytes: slot?.safeWalBytes ?? null,
      confirmed_flush_lsn: slot?.confirmedFlushLsn ?? null,
      standby_daemons: standby,
      failover_ready: failover?.ready ?? null,
      failover_problem: failover && !failover.ready ? failover.reason : null,
    },
    stream: {
      consistent_point: state?.consistent_point ?? null,
      last_applied_lsn: state?.last_applied_lsn ?? null,
      last_commit_time: state?.last_commit_time?.toISOString() ?? null,
      apply_lag_seconds: state?.apply_lag_seconds == null
        ? null
        : Number(state.apply_lag_seconds.toFixed(3)),
    },
    dead_letters: { unresolved: letters.unresolved, total: letters.total },
  };
}
