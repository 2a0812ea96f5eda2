/**
 * Standing by: while another daemon streams the slot, watch `pg_replication_slots.active` and
 * return as soon as the slot is free, so the caller tries to take it over.
 */
import pg from "../db/pg.ts";
import { BRIEF_SESSION_MS, within } from "../db/sessions.ts";
import { standbyApplicationName } from "../status/standby_daemons.ts";
import { sleep } from "./sleep.ts";

/** Options of {@linkcode standBy}. */
export interface StandByOptions {
  legacyUrl: string;
  slotName: string;
  /** Milliseconds between two looks at the slot. */
  pollMs: number;
  /** Aborting it ends the wait. */
  signal: AbortSignal;
}

/**
 * How often a standby looks at the slot: a tenth of `STANDBY_TAKEOVER_SECONDS` (from 100 ms to
 * 5 s), so noticing a free slot takes a small part of the time a takeover may take.
 */
export function standbyPollMs(takeoverSeconds: number): number {
  return Math.min(5_000, Math.max(100, Math.round(takeoverSeconds * 100)));
}

/**
 * Resolves once the slot is not active (or gone: the stream then says so) or the signal aborts
 * between two looks; throws when the legacy database cannot be reached, does not answer a look
 * within a minute, or the signal cuts a look short.
 */
export async function standBy(options: StandByOptions): Promise<void> {
  const { signal } = options;
  const client = new pg.Client({
    connectionString: options.legacyUrl,
    application_name: standbyApplicationName(options.slotName),
    connectionTimeoutMillis: BRIEF_SESSION_MS,
  });
  client.on("error", () => {});
  await client.connect();
  try {
    while (!signal.aborted) {
      // A look that never comes back (a server gone silent) fails, so the standby tries again
      // rather than waiting on it forever, never taking over.
      const { rows } = await within(
        client,
        BRIEF_SESSION_MS,
        client.query("select active from pg_replication_slots where slot_name = $1", [
          options.slotName,
        ]),
        signal,
      );
      if (rows[0]?.active !== true) return;
      await sleep(options.pollMs, signal);
    }
  } finally {
    await within(client, BRIEF_SESSION_MS, client.end()).catch(() => {});
  }
}
