/** The stream's checkpoint in `identity.sync_state`, written in the same transaction as the changes. */
import type pg from "../db/pg.ts";
import { inlineParameters } from "../db/sql_literal.ts";

/** Where the stream stands. */
export interface SyncCheckpoint {
  /** End LSN of the last source transaction applied whole: the slot is acknowledged up to here. */
  lastAppliedLsn: string;
  /** When that transaction committed on the legacy database. */
  lastCommitTime: Date | null;
  /** Commit LSN of a source transaction applied in part (bigger than a batch), if any. */
  partialLsn: string | null;
  /** How many of its changes are applied. */
  partialChanges: number;
}

/** Reads the checkpoint of the run of `slotName`. */
export async function readCheckpoint(
  client: pg.ClientBase,
  slotName: string,
): Promise<SyncCheckpoint> {
  const { rows } = await client.query(
    `select coalesce(last_applied_lsn, consistent_point)::text as last_applied_lsn,
            last_commit_time, partial_lsn::text as partial_lsn, partial_changes
     from identity.sync_state where slot_name = $1`,
    [slotName],
  );
  const row = rows[0];
  if (!row?.last_applied_lsn) {
    throw new Error(
      `Cannot stream: identity.sync_state has no position for slot "${slotName}"; run the snapshot first`,
    );
  }
  return {
    lastAppliedLsn: row.last_applied_lsn,
    lastCommitTime: row.last_commit_time,
    partialLsn: row.partial_lsn,
    partialChanges: Number(row.partial_changes),
  };
}

/**
 * Another daemon stored a checkpoint since this one read it: this one has lost the slot (its
 * walsender was ended, another daemon streams now) and must stand by.
 */
export class CheckpointMoved extends Error {
  override name = "CheckpointMoved";
}

/**
 * Stores `checkpoint` inside the open transaction on `client`, only if the stored one is still
 * `previous` (the one this session read or stored last); the run is streaming from now on. So
 * every committed batch continues exactly where the one before it ended: a daemon that lost the
 * slot (a hung leader resumed) can neither apply a batch twice nor move the checkpoint back.
 *
 * @throws {CheckpointMoved} when another daemon stored one meanwhile; roll back then.
 */
export async function storeCheckpoint(
  client: pg.ClientBase,
  slotName: string,
  checkpoint: SyncCheckpoint,
  previous: SyncCheckpoint,
): Promise<void> {
  const { rowCount } = await client.query(
    `update identity.sync_state
     set last_applied_lsn = $5::pg_lsn, last_commit_time = $6, partial_lsn = $7::pg_lsn,
         partial_changes = $8, phase = 'streaming', updated_at = now()
     where ${STILL_AT}`,
    [
      ...stillAt(slotName, previous),
      checkpoint.lastAppliedLsn,
      checkpoint.lastCommitTime,
      checkpoint.partialLsn,
      checkpoint.partialChanges,
    ],
  );
  if (rowCount === 1) return;
  throw await moved(client, slotName, previous, "store");
}

/**
 * Checks, inside the open transaction on `client`, which holds the apply lock (`lockApply`), that
 * the stored checkpoint of `slotName` is still `previous`. Before a batch whose shares commit on
 * other connections, ahead of this transaction: a daemon that lost the slot stops here, before any
 * of them writes. Every daemon stores its checkpoint under the same lock, so none moves it before
 * this transaction ends. No row lock: it would give this transaction a transaction ID, and while
 * that is open the shares' old row versions could not be pruned (see `SHARED_ROUNDS`).
 *
 * @throws {CheckpointMoved} when another daemon moved it.
 */
export async function holdCheckpoint(
  client: pg.ClientBase,
  slotName: string,
  previous: SyncCheckpoint,
): Promise<void> {
  // In the simple protocol, values as literals: a statement with parameters leaves its portal open
  // until the next one, and the portal its snapshot, whose horizon would keep the shares' old row
  // versions from being pruned just the same.
  const { rowCount } = await client.query(
    `select 1 from identity.sync_state where ${
      inlineParameters(STILL_AT, stillAt(slotName, previous))
    }`,
  );
  if (rowCount === 1) return;
  throw await moved(client, slotName, previous, "hold");
}

/** The row of `$1`'s checkpoint while it is still at `$2`, `$3`, `$4`. */
const STILL_AT = `slot_name = $1 and coalesce(last_applied_lsn, consistent_point) = $2::pg_lsn
  and partial_lsn is not distinct from $3::pg_lsn and partial_changes = $4`;

function stillAt(slotName: string, previous: SyncCheckpoint): (string | number | null)[] {
  return [slotName, previous.lastAppliedLsn, previous.partialLsn, previous.partialChanges];
}

async function moved(
  client: pg.ClientBase,
  slotName: string,
  previous: SyncCheckpoint,
  action: "store" | "hold",
): Promise<CheckpointMoved> {
  const stored = await readCheckpoint(client, slotName);
  return new CheckpointMoved(
    `Cannot ${action} the checkpoint of slot "${slotName}": another daemon moved it from ${
      describe(previous)
    } to ${describe(stored)}; this one lost the slot and stands by`,
  );
}

function describe(checkpoint: SyncCheckpoint): string {
  return checkpoint.partialLsn === null
    ? checkpoint.lastAppliedLsn
    : `${checkpoint.lastAppliedLsn} (${checkpoint.partialChanges} changes of ${checkpoint.partialLsn})`;
}
