/**
 * The marker that ends a timed window: a display name committed on one legacy row after the work
 * being timed. Both targets apply in commit order, so once a target shows it, all the work before
 * it is applied. (The slot's position cannot say that: a daemon's checkpoint moves only with the
 * next legacy commit, and `pg_current_wal_lsn()` read after a commit may lie past it.)
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

/** Commits `text` as the marker row's display name. */
export async function commitMarker(legacy: pg.ClientBase, text: string): Promise<void> {
  await legacy.query("update users set display_name = $1 where id = $2", [text, MARKER_ID]);
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

/** Polls `target` until it shows `text`. */
export async function waitForMarker(
  client: pg.ClientBase,
  target: MarkerTarget,
  text: string,
  options: WaitForMarkerOptions = {},
): Promise<void> {
  let ended = false;
  options.ended?.then(() => ended = true, () => ended = true);
  while ((await readMarker(client, target)) !== text) {
    if (ended) throw new Error(`Cannot wait for marker "${text}" on ${target}: its applier ended`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}
