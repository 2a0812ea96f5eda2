/**
 * Duplicate usernames and public IDs, found by the database in one `group by … having` pass each
 * (the unique indexes forbid them; `verify` does not take their word for it).
 *
 * @module
 */

import type pg from "../db/pg.ts";
import { type BreachTally, EXAMPLES_PER_KIND } from "./breaches.ts";

/**
 * Counts usernames held by more than one account (examples: those accounts' public IDs) and
 * public IDs held by more than one account (examples: the public IDs).
 */
export async function tallyDuplicates(identity: pg.Client, tally: BreachTally): Promise<void> {
  const usernames = await duplicateGroups(identity, "username");
  tally.addMany("duplicate_username", usernames.count, usernames.examples);
  const publicIds = await duplicateGroups(identity, "public_id");
  tally.addMany("duplicate_public_id", publicIds.count, publicIds.examples);
}

async function duplicateGroups(
  identity: pg.Client,
  column: "username" | "public_id",
): Promise<{ count: number; examples: string[] }> {
  const { rows } = await identity.query<{ groups: number; public_ids: string[] }>(
    `select count(*) over ()::int as groups, public_ids
     from (
       select (array_agg(public_id::text order by account_id))[1:$1::int] as public_ids
       from identity.accounts
       group by ${column}
       having count(*) > 1
     ) duplicated
     limit $1::int`,
    [EXAMPLES_PER_KIND],
  );
  const examples = column === "username"
    ? rows.flatMap((row) => row.public_ids)
    : rows.map((row) => row.public_ids[0]!);
  return { count: rows[0]?.groups ?? 0, examples };
}
