/**
 * Starts a snapshot run or joins the one in progress. The first process of a
 * run creates the publication, the slot with its exported snapshot, and the
 * ranges; later ones (on this machine or another) find them in sync_state.
 */
import {
  createSyncState,
  deleteSyncState,
  readSyncState,
  startSnapshotting,
} from "../apply/sync_state.ts";
import type { SyncState } from "../apply/sync_state.ts";
import type pg from "../db/pg.ts";
import { insertRanges } from "./claim_range.ts";
import { createSlotWithSnapshot, type ExportedSnapshot } from "./exported_snapshot.ts";
import type { LegacyTable } from "../legacy/legacy_table.ts";
import { planRanges } from "./plan_ranges.ts";
import { ensurePublication } from "../legacy/publication.ts";
import { logger } from "../logging/logging.ts";

const log = logger("snapshot");

/** A run as this process found or made it. */
export interface SnapshotRun {
  state: SyncState;
  /** Set when this process created the slot: its snapshot, to import and then close. */
  exported?: ExportedSnapshot;
}

/** Options of {@linkcode setupRun}. */
export interface SetupRunOptions {
  legacyUrl: string;
  slotName: string;
  publicationName: string;
  rangeSize: number;
  /** Make the slot a failover one where the server can (PostgreSQL 17+). */
  slotFailover: boolean;
  /** The columns the service maps (raw names): those the publication sends where it can. */
  mappedColumns: string[];
}

/**
 * Finds or creates the run of `options.slotName`. `identity` must hold the
 * run's advisory lock; `legacy` is an idle connection to the legacy database.
 */
export async function setupRun(
  identity: pg.ClientBase,
  legacy: pg.ClientBase,
  table: LegacyTable,
  options: SetupRunOptions,
): Promise<SnapshotRun> {
  const { slotName } = options;
  let state = await readSyncState(identity, slotName);
  if (state && state.legacyTable !== table.name) {
    throw new Error(
      `Cannot snapshot ${table.name}: replication slot "${slotName}" belongs to the run of ${state.legacyTable}; set SLOT_NAME to start another run`,
    );
  }
  if (state?.phase === "created") {
    // A process died between recording the run and storing its slot's consistent
    // point: nothing was read under that slot, so it is dropped and made again.
    await dropSlotIfExists(legacy, slotName);
    await deleteSyncState(identity, slotName);
    state = null;
  }
  if (state) return { state };

  if (await slotExists(legacy, slotName)) {
    throw new Error(
      `Cannot start a snapshot: replication slot "${slotName}" exists on the legacy database but identity.sync_state has no run for it; if nothing uses it, drop it with SELECT pg_drop_replication_slot('${slotName}'), or set SLOT_NAME`,
    );
  }
  await createSyncState(identity, {
    slotName,
    publicationName: options.publicationName,
    legacyTable: table.name,
    keyType: table.keyType,
  });
  const published = await ensurePublication(
    legacy,
    options.publicationName,
    table,
    options.mappedColumns,
  );
  if (published.existing) {
    log.info("publication {publication} published {table} already: left as it is", {
      publication: options.publicationName,
      table: table.name,
    });
  } else if (published.columns) {
    log.info("publication {publication} sends only the columns {columns} of {table}", {
      publication: options.publicationName,
      columns: published.columns,
      table: table.name,
    });
  } else {
    log.info(
      "publication {publication} sends every column of {table} ({why}); the service keeps only the mapped ones",
      { publication: options.publicationName, table: table.name, why: published.whole },
    );
  }
  const exported = await createSlotWithSnapshot(options.legacyUrl, slotName, {
    failover: options.slotFailover,
  });
  try {
    const { ranges, rowsEstimate } = await planRanges(legacy, table, {
      rangeSize: options.rangeSize,
    });
    await identity.query("begin");
    await insertRanges(identity, slotName, ranges);
    await startSnapshotting(identity, slotName, {
      snapshotName: exported.snapshotName,
      consistentPoint: exported.consistentPoint,
      rowsEstimate,
    });
    await identity.query("commit");
  } catch (error) {
    await identity.query("rollback").catch(() => {});
    await exported.close();
    throw error;
  }
  return { state: (await readSyncState(identity, slotName))!, exported };
}

async function slotExists(legacy: pg.ClientBase, slotName: string): Promise<boolean> {
  const { rowCount } = await legacy.query(
    "select 1 from pg_replication_slots where slot_name = $1",
    [slotName],
  );
  return (rowCount ?? 0) > 0;
}

async function dropSlotIfExists(legacy: pg.ClientBase, slotName: string): Promise<void> {
  if (await slotExists(legacy, slotName)) {
    await legacy.query("select pg_drop_replication_slot($1)", [slotName]);
  }
}
