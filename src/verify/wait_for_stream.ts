/**
 * Waits for the stream to apply what the legacy database has committed. `verify` reads the two
 * databases at different moments, so a legacy change committed between its reads disagrees with
 * the identity database until the stream applies it. The slot says when that is done: the stream
 * acknowledges a position only after the identity transaction that applied everything before it
 * has committed, so once the slot's `confirmed_flush_lsn` reaches a legacy WAL position, every
 * transaction committed before that position is applied.
 *
 * @module
 */

import type pg from "../db/pg.ts";

/** Which slot to wait for, and how long to wait for one that does not move. */
export interface StreamWaitOptions {
  /** The stream's replication slot on the legacy database; none: nothing streams. */
  slotName?: string;
  /** Gives up once the slot's position has not moved for this long (a stopped or stuck stream). */
  stallMs: number;
  pollMs?: number;
}

/**
 * The legacy database's WAL position now (on a standby, the position replayed). Read after a
 * query, it is past the commit of every transaction that query saw.
 */
export async function legacyWalPosition(legacy: pg.Client): Promise<string> {
  const { rows } = await legacy.query<{ lsn: string }>(
    `select (case when pg_is_in_recovery() then pg_last_wal_replay_lsn()
                  else pg_current_wal_lsn() end)::text as lsn`,
  );
  return rows[0]!.lsn;
}

/** Whether the stream caught up, or why `verify` stopped waiting for it. */
export type StreamWait = "caught_up" | "no_stream" | "stalled";

/**
 * Waits for one slot, for any number of re-checks: once the slot has stalled at a position, later
 * waits give up at once while it is still there, so a stopped stream costs `stallMs` once, not once
 * per batch.
 */
export class StreamWatch {
  readonly #options: StreamWaitOptions;
  #stalledAt: string | null = null;

  constructor(options: StreamWaitOptions) {
    this.#options = options;
  }

  /**
   * Waits until the slot's confirmed position reaches `lsn`. Returns at once when there is no such
   * slot or nobody is streaming it (nothing will apply anything meanwhile), and gives up when the
   * position stays put for `stallMs`: a stream far behind is waited for as long as it moves.
   */
  async until(legacy: pg.Client, lsn: string): Promise<StreamWait> {
    const { slotName, stallMs, pollMs = 100 } = this.#options;
    if (slotName === undefined) return "no_stream";
    let last: string | null = null;
    let movedAt = performance.now();
    while (true) {
      const { rows } = await legacy.query<
        { active: boolean; confirmed: string | null; caught_up: boolean | null }
      >(
        `select active, confirmed_flush_lsn::text as confirmed,
                confirmed_flush_lsn >= $2::pg_lsn as caught_up
         from pg_replication_slots where slot_name = $1`,
        [slotName, lsn],
      );
      const slot = rows[0];
      if (slot === undefined || !slot.active) return "no_stream";
      if (slot.caught_up) return "caught_up";
      if (slot.confirmed === this.#stalledAt) return "stalled";
      if (slot.confirmed !== last) {
        last = slot.confirmed;
        movedAt = performance.now();
      } else if (performance.now() - movedAt >= stallMs) {
        this.#stalledAt = last;
        return "stalled";
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}
