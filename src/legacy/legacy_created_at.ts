/**
 * The one rule for legacy creation times, on every path: a zone-less value (`timestamp without
 * time zone`, `date`) is a wall-clock time in `LEGACY_TIMEZONE`; a `timestamptz` value is an
 * instant already. Neither session's `TimeZone` takes part: the text handed on names its zone.
 */
import type pg from "../db/pg.ts";

/**
 * `text` (a legacy creation value as PostgreSQL prints it in ISO style) as text that any
 * PostgreSQL session parses as the same instant: `zone` appended, or nothing changed when `zone`
 * is null (the column has a zone) or the value is ±infinity (the same in every zone).
 */
export function legacyInstant<T extends string | null | undefined>(
  text: T,
  zone: string | null,
): T {
  if (typeof text !== "string" || zone === null || text.endsWith("infinity")) return text;
  return `${text} ${zone}` as T;
}

/** Instants at which a zone must read the same in Intl and PostgreSQL (winter and summer). */
const PROBES = ["2020-01-15T12:00:00Z", "2020-07-15T12:00:00Z"];

/**
 * Checks, through `client`, that PostgreSQL reads `zone` as the IANA database does (Intl), so
 * that {@linkcode legacyInstant} means what `LEGACY_TIMEZONE` says: a name it does not know, or
 * reads as an abbreviation of another zone (`IST`, `ACT`), stops the start with one line.
 */
export async function checkLegacyTimezone(client: pg.ClientBase, zone: string): Promise<void> {
  const wallClock = new Intl.DateTimeFormat("sv-SE", {
    timeZone: zone,
    dateStyle: "short",
    timeStyle: "medium",
  });
  const walls = PROBES.map((probe) => wallClock.format(new Date(probe)));
  let same: boolean;
  try {
    const { rows } = await client.query<{ same: boolean }>(
      `select bool_and(legacy_instant::timestamptz = probe::timestamptz) as same
       from unnest($1::text[], $2::text[]) as p(legacy_instant, probe)`,
      [walls.map((wall) => legacyInstant(wall, zone)), PROBES],
    );
    same = rows[0]!.same;
  } catch (error) {
    // 22007, 22023: not a time zone this server knows.
    const code = (error as { code?: string }).code;
    if (code !== "22007" && code !== "22023") throw error;
    same = false;
  }
  if (!same) {
    throw new RangeError(
      `Cannot read legacy creation times: PostgreSQL does not read LEGACY_TIMEZONE="${zone}" as the IANA time zone of that name; use a Region/City name such as America/New_York`,
    );
  }
}
