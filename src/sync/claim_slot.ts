/**
 * Taking over the slot: the daemon whose stream started marks its identity session as the slot's
 * streaming session and ends the identity sessions of any daemon marked so before it. The slot
 * serves one walsender at a time, so such a daemon has lost its stream (died, cut off, or hung
 * until `wal_sender_timeout` ended its walsender), yet a hung one may still hold a batch open
 * under the apply lock. Ending its session rolls that batch back and frees the lock; whatever it
 * does when it resumes, its checkpoint is stale, so it can commit nothing (see `storeCheckpoint`).
 */
import type pg from "../db/pg.ts";

/** The first key of the session-level advisory lock that marks a streaming session. */
export const STREAMING_LOCK_CLASS = 47_110_023;

/** What {@linkcode claimSlot} did to the sessions of daemons that streamed before. */
export interface SlotClaim {
  /** Their sessions it ended. */
  ended: number[];
  /** Those it was not allowed to end (another role's): their open batch rolls back when they do. */
  refused: number[];
}

/** The advisory lock key of the sessions streaming `slotName`. */
function streamingKey(slotName: string): string {
  return `identity_sync.stream.${slotName}`;
}

/**
 * Marks the session on `client` as one of those streaming `slotName` (the daemon's apply
 * partitions are marked too, after its claim), so the next daemon to claim the slot ends it.
 */
export async function markStreaming(client: pg.ClientBase, slotName: string): Promise<void> {
  // Shared: the mark of a daemon that lost the slot must not keep this one from marking itself.
  await client.query("select pg_advisory_lock_shared($1, hashtext($2))", [
    STREAMING_LOCK_CLASS,
    streamingKey(slotName),
  ]);
}

/** Marks the session on `client` as the one streaming `slotName`, and ends those marked before. */
export async function claimSlot(client: pg.ClientBase, slotName: string): Promise<SlotClaim> {
  const key = streamingKey(slotName);
  await markStreaming(client, slotName);
  const { rows } = await client.query<{ pid: number }>(
    `select pid from pg_locks
     where locktype = 'advisory' and objsubid = 2 and pid <> pg_backend_pid()
       and database = (select oid from pg_database where datname = current_database())
       and classid = $1::int4::oid and objid = hashtext($2)::oid`,
    [STREAMING_LOCK_CLASS, key],
  );
  const claim: SlotClaim = { ended: [], refused: [] };
  for (const { pid } of rows) {
    try {
      await client.query("select pg_terminate_backend($1)", [pid]);
      claim.ended.push(pid);
    } catch (error) {
      // 42501: a session of a role this one may not signal.
      if ((error as { code?: string }).code !== "42501") throw error;
      claim.refused.push(pid);
    }
  }
  return claim;
}
