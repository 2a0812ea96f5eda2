/**
 * The marker that ends a timed window: a display name committed on one legacy row after the work
 * being timed. The native subscriber commits in commit order, so once it shows the marker, all
 * the work before it is applied. The daemon may show it earlier: a batch's in-place shares (and
 * the next batch's, ahead) commit before the batch's own transaction, which writes its inserts,
 * renames and deletes. So the daemon's window also waits for its checkpoint, stored in that own
 * transaction, to pass a WAL position read inside the marker's transaction. (Not a position read
 * after the commit: `pg_current_wal_lsn()` may then lie past the marker's end, where the
 * checkpoint moves only with the next legacy commit.)
 */
import type pg from "../src/db/pg.ts";

/** The legacy row that carries markers; the workloads never change it otherwise. */
export const MARKER_ID = 1;

/** Where a target shows the marker row's display name. */
export type MarkerTarget = "identity" | "native";

const READS: Record<MarkerTarget, string> = {
  identity: `select display_name from identity.accounts where legacy_id = '${MARKER_ID}'`,
  native: `select display_name from users where id = ${MARKER_ID}`,
};

/** A committed marker. */
export interface Marker {
  text: string;
  /** A WAL position inside the marker's transaction: before its end, after every earlier commit. */
  within: string;
}

/** Commits `text` as the marker row's display name; nothing else may commit meanwhile. */
export async function commitMarker(legacy: pg.ClientBase, text: string): Promise<Marker> {
  await legacy.query("begin");
  try {
    await legacy.query("update users set display_name = $1 where id = $2", [text, MARKER_ID]);
    const { rows } = await legacy.query<{ lsn: string }>(
      "select pg_current_wal_insert_lsn()::text as lsn",
    );
    await legacy.query("commit");
    return { text, within: rows[0]!.lsn };
  } catch (error) {
    await legacy.query("rollback").catch(() => {});
    throw error;
  }
}

/**
 * Whether the daemon's checkpoint (`identity.sync_state`) has passed `marker`: the batch that
 * applied it, and every batch before, committed.
 */
async function checkpointPassed(identity: pg.ClientBase, marker: Marker): Promise<boolean> {
  const { rows } = await identity.query<{ passed: boolean }>(
    `select coalesce(bool_or(last_applied_lsn > $1::pg_lsn), false) as passed
     from identity.sync_state`,
    [marker.within],
  );
  return rows[0]!.passed;
}

/** The marker row's display name on `target` (null until the row or the table exists). */
export async function readMarker(
  client: pg.ClientBase,
  target: MarkerTarget,
): Promise<string | null> {
  try {
    return (await client.query<{ display_name: string }>(READS[target])).rows[0]?.display_name ??
      null;
  } catch (error) {
    // Before the daemon's first migration its schema or table is not there yet.
    if (["3F000", "42P01"].includes((error as { code?: string }).code ?? "")) return null;
    throw error;
  }
}

/** Options of {@linkcode waitForMarker}. */
export interface WaitForMarkerOptions {
  /** Settles if what applies the changes ends first: then the wait fails. */
  ended?: Promise<unknown>;
  intervalMs?: number;
}

/**
 * Polls `target` until it shows `marker`; on the identity target, until the daemon's checkpoint
 * has passed it too.
 */
export async function waitForMarker(
  client: pg.ClientBase,
  target: MarkerTarget,
  marker: Marker,
  options: WaitForMarkerOptions = {},
): Promise<void> {
  const { text } = marker;
  const applied = async () =>
    (await readMarker(client, target)) === text &&
    (target !== "identity" || await checkpointPassed(client, marker));
  let ended = false;
  options.ended?.then(() => ended = true, () => ended = true);
  while (!(await applied())) {
    if (ended) throw new Error(`Cannot wait for marker "${text}" on ${target}: its applier ended`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}
