/**
 * A side's slot left past the changes it applied before the side stops, as a side that runs on
 * would have it. A slot keeps the WAL from its `restart_lsn`, which moves only once the walsender
 * has decoded a record of the running transactions after the client's confirmed position and the
 * client has confirmed past it. A side stopped as soon as it shows the marker leaves its
 * `restart_lsn` before the changes, and its next window decodes them all again without sending
 * them (a 1M-row burst: about 6 s of the walsender's CPU, which the native subscriber, confirming
 * while its worker winds down, was often spared). So before each side stops, outside its timed
 * window, the legacy server logs such a record every second until the slot has moved past the
 * marker.
 */
import type pg from "../src/db/pg.ts";
import type { Marker } from "./marker.ts";

/** How long a side may take to confirm its way past the marker. */
const PATIENCE_MS = 60_000;

/** Waits until `slot`'s `restart_lsn` has passed `marker`; warns if it does not within a minute. */
export async function leaveSlotPast(
  legacy: pg.ClientBase,
  slot: string,
  marker: Marker,
): Promise<void> {
  const giveUp = performance.now() + PATIENCE_MS;
  while (performance.now() < giveUp) {
    const { rows } = await legacy.query<{ past: boolean | null }>(
      "select restart_lsn > $2::pg_lsn as past from pg_replication_slots where slot_name = $1",
      [slot, marker.within],
    );
    if (rows.length === 0) throw new Error(`no slot ${slot} on the legacy server`);
    if (rows[0]!.past) return;
    await legacy.query("select pg_log_standby_snapshot()");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  console.warn(
    `warning: slot ${slot} still holds WAL from before the marker "${marker.text}": its side's next window decodes those changes again`,
  );
}
