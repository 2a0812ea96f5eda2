/** Reads one key range of the legacy table, in batches, as account changes. */
import { type AccountChange, legacyUpsertChange } from "../apply/account_change.ts";
import type pg from "../db/pg.ts";
import { DISPLAY_NAME_RAW_MAX_CODE_POINTS, RAW_MAX_CODE_POINTS } from "../policy/mod.ts";
import type { LegacyTable } from "../legacy/legacy_table.ts";
import { type KeyRange, rangePredicate } from "./plan_ranges.ts";

/** A legacy row as the snapshot reads and stages it (mapped columns as text). */
export interface LegacyRow {
  legacy_id: string;
  legacy_int: string | null;
  username: string | null;
  created_at: string | null;
  display_name: string | null;
}

/**
 * The upsert that says `row` exists as read at `lsn` (its display name cleaned and cut, its
 * creation time read in `createdAtZone` when that is not null).
 */
export function legacyUpsert(
  row: LegacyRow,
  lsn: string,
  options: { createdAtZone: string | null },
): AccountChange {
  return legacyUpsertChange(
    {
      legacyId: row.legacy_id,
      legacyInt: row.legacy_int,
      username: row.username,
      createdAt: row.created_at,
      displayName: row.display_name,
    },
    lsn,
    options,
  );
}

/**
 * Yields the rows of `range` as upserts, `batchSize` at a time, through a
 * cursor inside the snapshot transaction already open on `client`. Usernames
 * are cut one past the policy's limit: longer ones are refused anyway, and a
 * hostile 100,000-character value never crosses the wire whole. Display names
 * likewise: only the prefix the display-name policy looks at, and one code
 * point more to know that it was cut. Creation times come as the column prints them (an instant
 * for a `timestamptz`, a wall-clock time otherwise, read in the table's zone by `legacyUpsert`),
 * in ISO style whatever the session's `DateStyle` (set for the transaction), so that the identity
 * database parses them back the same.
 */
export async function* readRange(
  client: pg.ClientBase,
  table: LegacyTable,
  range: KeyRange,
  options: { lsn: string; batchSize?: number },
): AsyncGenerator<AccountChange[]> {
  const { batchSize = 2_000 } = options;
  const { sql: where, values } = rangePredicate(table, range, 1);
  const { id, username, createdAt, displayName } = table.columns;
  await client.query("set local datestyle = 'ISO'");
  await client.query(
    `declare legacy_range no scroll cursor for
     select ${id}::text as legacy_id,
            ${table.integerKey ? `${id}::int8::text` : "null::text"} as legacy_int,
            left(${username}::text, ${RAW_MAX_CODE_POINTS + 1}) as username,
            ${createdAt}::text as created_at,
            ${
      displayName
        ? `left(${displayName}::text, ${DISPLAY_NAME_RAW_MAX_CODE_POINTS + 1})`
        : "null::text"
    } as display_name
     from ${table.sql} where ${where}`,
    values,
  );
  try {
    while (true) {
      const { rows } = await client.query<LegacyRow>(`fetch ${batchSize} from legacy_range`);
      if (rows.length === 0) return;
      yield rows.map((row) => legacyUpsert(row, options.lsn, table));
    }
  } finally {
    await client.query("close legacy_range");
  }
}
