/**
 * Checks, before subscribing, that the slot and publication can serve the
 * stream, so that a gone or invalidated slot is a clear error rather than a
 * server message halfway through START_REPLICATION.
 */
import type pg from "../db/pg.ts";
import { LegacyStreamError } from "./legacy_stream_error.ts";
import { checkPublishedTable, type PublishedTable } from "./published_table.ts";

/** Where the stream reads. */
export interface StreamSource extends PublishedTable {
  slotName: string;
}

const RESNAPSHOT =
  "re-snapshot under a new slot: set SLOT_NAME and PUBLICATION_NAME to new names, run `deno task snapshot`, then `deno task sync` (docs/runbook.md, Slot lost)";

/** Throws a `LegacyStreamError` unless the slot is a valid pgoutput slot of this database and the table is published as the stream needs. */
export async function checkSource(client: pg.ClientBase, source: StreamSource): Promise<void> {
  const { slotName, table } = source;
  // to_jsonb reads columns that only some majors have (invalidation_reason: 17+, conflicting: 16+).
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
}
