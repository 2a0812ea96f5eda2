/**
 * Checks, before subscribing, that the slot and publication can serve the
 * stream, so that a gone or invalidated slot is a clear error rather than a
 * server message halfway through START_REPLICATION.
 */
import type pg from "../db/pg.ts";
import { compareLsn } from "../db/lsn.ts";
import { LegacyStreamError } from "./legacy_stream_error.ts";
import { checkPublishedTable, type PublishedTable } from "./published_table.ts";

/** Where the stream reads. */
export interface StreamSource extends PublishedTable {
  slotName: string;
  /** Where the stream resumes: the end of the last change applied from this server's WAL. */
  startLsn: string;
}

/** What the stream needs to know of its slot. */
export interface SourceSlot {
  /** The slot's `failover` property; undefined before PostgreSQL 17, which has none. */
  failover: boolean | undefined;
}

const RESNAPSHOT =
  "re-snapshot under a new slot: set SLOT_NAME and PUBLICATION_NAME to new names, run `deno task snapshot`, then `deno task sync` (docs/runbook.md, Slot lost)";

/**
 * Throws a `LegacyStreamError` unless the server is a primary whose WAL reaches the resume
 * point, the slot is a valid pgoutput slot of this database, and the table is published as the
 * stream needs.
 */
export async function checkSource(
  client: pg.ClientBase,
  source: StreamSource,
): Promise<SourceSlot> {
  const { slotName, table } = source;
  const { rows: [server] } = await client.query<{ recovering: boolean; wal_end: string | null }>(
    `select pg_is_in_recovery() as recovering,
            case when not pg_is_in_recovery() then pg_current_wal_lsn()::text end as wal_end`,
  );
  if (server!.recovering) {
    throw new LegacyStreamError(
      "server-in-recovery",
      `Cannot stream ${table.name}: the legacy server is a standby (in recovery); LEGACY_DATABASE_URL must name the primary, or this standby once promoted`,
    );
  }
  if (compareLsn(source.startLsn, server!.wal_end!) > 0) {
    throw new LegacyStreamError(
      "server-behind",
      `Cannot stream ${table.name}: changes up to ${source.startLsn} are applied but the legacy server's WAL ends at ${
        server!.wal_end
      }; it is not the server they came from, or a failover lost them (a promoted standby that lacked them: set synchronized_standby_slots, docs/runbook.md, Legacy primary failover); run \`deno task verify\` and re-snapshot under a new slot`,
    );
  }
  // to_jsonb reads columns that only some majors have (invalidation_reason and failover: 17+,
  // conflicting: 16+).
  const { rows: slots } = await client.query<{ slot: Record<string, unknown>; here: boolean }>(
    `select to_jsonb(s) as slot, s.database = current_database() as here
     from pg_replication_slots s where slot_name = $1`,
    [slotName],
  );
  const found = slots[0];
  if (!found) {
    throw new LegacyStreamError(
      "slot-missing",
      `Cannot stream ${table.name}: replication slot "${slotName}" does not exist; ${RESNAPSHOT}`,
    );
  }
  const { slot, here } = found;
  if (slot.wal_status === "lost" || slot.invalidation_reason || slot.conflicting === true) {
    const reason = slot.invalidation_reason ?? "wal_status is lost";
    throw new LegacyStreamError(
      "slot-lost",
      `Cannot stream ${table.name}: replication slot "${slotName}" was invalidated (${reason}), so changes were lost; ${RESNAPSHOT}`,
    );
  }
  if (slot.slot_type !== "logical" || slot.plugin !== "pgoutput" || !here) {
    throw new LegacyStreamError(
      "slot-unusable",
      `Cannot stream ${table.name}: replication slot "${slotName}" is not a pgoutput slot of this database (it is ${slot.slot_type}, plugin ${slot.plugin}, database ${slot.database}); set SLOT_NAME`,
    );
  }
  await checkPublishedTable(client, source);
  return { failover: typeof slot.failover === "boolean" ? slot.failover : undefined };
}
