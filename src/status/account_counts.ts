/** How many accounts the identity tables hold, by where their username came from. */
import type pg from "../db/pg.ts";

/** Counts accounts by `username_source` (exact, normalized, derived, generated, requested). */
export async function countAccountsBySource(client: pg.ClientBase): Promise<Map<string, number>> {
  const { rows } = await client.query(
    "select username_source, count(*)::float8 as n from identity.accounts group by 1",
  );
  return new Map(rows.map((row) => [row.username_source, row.n]));
}
