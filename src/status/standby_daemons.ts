/**
 * Daemons standing by on a slot: each keeps one connection to the legacy database named for the
 * slot, so the status (and an operator's `pg_stat_activity`) can count them.
 */
import type pg from "../db/pg.ts";

/** PostgreSQL keeps the first 63 bytes of an `application_name`. */
const NAME_BYTES = 63;

/** The `application_name` of a standby daemon's connection to the legacy database. */
export function standbyApplicationName(slotName: string): string {
  // Slot names are ASCII: a character is a byte.
  return `identity-sync standby ${slotName}`.slice(0, NAME_BYTES);
}

/** How many daemons stand by on `slotName`, as the legacy server sees their connections. */
export async function countStandbyDaemons(
  client: pg.ClientBase,
  slotName: string,
): Promise<number> {
  const { rows } = await client.query(
    "select count(*)::int as n from pg_stat_activity where application_name = $1",
    [standbyApplicationName(slotName)],
  );
  return rows[0].n;
}
