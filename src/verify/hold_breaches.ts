/**
 * Name holds that contradict the accounts. The primary key on `username_holds.username` forbids a
 * name held twice (`verify` does not take its word for it, as for usernames). Every writer of a
 * name (the stream, the API) removes its hold in the transaction that takes it, and no writer
 * takes a name whose hold still runs unless it holds it: so a running hold on a name in use is a
 * breach. An expired hold on a name in use is not: the snapshot's claims pass expired holds and
 * leave their rows.
 *
 * @module
 */

import type pg from "../db/pg.ts";
import { type BreachTally, EXAMPLES_PER_KIND } from "./breaches.ts";

/**
 * Counts names with more than one hold row (examples: the public IDs of their holders) and names
 * held while an account has them (examples: the public IDs of those accounts). Each is one query in
 * the identity database, whose single snapshot sees holds and accounts as one transaction left them.
 */
export async function tallyHoldBreaches(identity: pg.Client, tally: BreachTally): Promise<void> {
  const doubled = await identity.query<{ groups: number; public_ids: string[] }>(
    `select count(*) over ()::int as groups, public_ids
     from (
       select (array_agg(a.public_id::text order by h.account_id))[1:$1::int] as public_ids
       from identity.username_holds h join identity.accounts a using (account_id)
       group by h.username
       having count(*) > 1
     ) doubled
     limit $1::int`,
    [EXAMPLES_PER_KIND],
  );
  tally.addMany(
    "duplicate_hold",
    doubled.rows[0]?.groups ?? 0,
    doubled.rows.flatMap((row) => row.public_ids),
  );
  const inUse = await identity.query<{ names: number; public_id: string }>(
    `select count(*) over ()::int as names, a.public_id
     from identity.username_holds h join identity.accounts a on a.username = h.username
     where h.held_until is null or h.held_until > now()
     limit $1::int`,
    [EXAMPLES_PER_KIND],
  );
  tally.addMany(
    "held_username_in_use",
    inUse.rows[0]?.names ?? 0,
    inUse.rows.map((row) => row.public_id),
  );
}
