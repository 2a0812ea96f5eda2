/**
 * The in-place mirror of a spooled transaction: what `mirrorInPlace` does for a batch whose values
 * it sends as arrays, done by joining the spool to the accounts, in the same rounds and
 * partitions, each share in a transaction of its own committed at once. Measured on a burst of
 * 1,000,000 display-name updates (`deno task bench:spooled-burst`), the join costs the identity
 * server about half the CPU a change of the arrays' statement.
 */
import type pg from "../db/pg.ts";
import { mirrorTriesSql } from "./change_spool.ts";
import { isDataError } from "./isolate_poison.ts";
import { BY_KEY_SETTINGS } from "./look_up_by_key.ts";
import { SHARED_ROUNDS } from "./mirror_in_place.ts";
import { inlineParameters } from "../db/sql_literal.ts";

/** Spooled changes a round's shares cover together, as a batch of the stream's. */
const CHUNK = 5_000;

/**
 * Marks the spooled changes of a legacy id that `xid` changes more than once (or re-keys): their
 * order is the plan's business, so the mirror leaves them alone.
 */
export async function markRepeated(
  client: pg.ClientBase,
  slotName: string,
  xid: number,
): Promise<void> {
  await client.query(
    `update identity.stream_spool set repeated = true
     where slot_name = $1 and xid = $2 and legacy_id in (
       select id from (
         select legacy_id as id from identity.stream_spool
         where slot_name = $1 and xid = $2 and legacy_id is not null
         union all
         select previous_legacy_id from identity.stream_spool
         where slot_name = $1 and xid = $2 and previous_legacy_id is not null
       ) ids
       group by id having count(*) > 1
     )`,
    [slotName, xid],
  );
}

/**
 * One share: the spooled changes of `$2` with `seq` in [`$3`, `$4`), of round `$5`, of partition
 * `$6` of `$7`, that the mirror tries. Each is joined to its account once, judged there (active,
 * not past the commit LSN `$8`, still under the legacy username the change carries), and written
 * only when a mapped value differs. Returns the `seq` of those left to the plan.
 */
const SHARE = `with u as materialized (
    select s.seq, s.legacy_id, s.display_name, s.display_name_sent,
           s.created_at::timestamptz as legacy_created_at, s.created_at_sent,
           a.ctid as row_address,
           a.status = 'active' and (a.source_lsn is null or a.source_lsn <= $8::pg_lsn)
             and (not s.username_sent or a.legacy_username is not distinct from s.legacy_username)
             as passes,
           (s.display_name_sent and a.display_name is distinct from s.display_name)
             or (s.created_at_sent
                 and a.legacy_created_at is distinct from s.created_at::timestamptz) as differs
    from identity.stream_spool s
    left join identity.accounts a on a.legacy_id = s.legacy_id
    where s.slot_name = $1 and s.xid = $2 and s.seq >= $3 and s.seq < $4
      and s.seq % ${SHARED_ROUNDS} = $5 and abs(hashtext(s.legacy_id) % $7) = $6
      and ${mirrorTriesSql("s")}
  ),
  written as (
    update identity.accounts as a
    set display_name = case when u.display_name_sent then u.display_name else a.display_name end,
        legacy_created_at = case when u.created_at_sent then u.legacy_created_at
                                 else a.legacy_created_at end,
        source_lsn = $8::pg_lsn, updated_at = now()
    from u
    where u.passes and u.differs and a.ctid = u.row_address and a.legacy_id = u.legacy_id
      and a.status = 'active' and (a.source_lsn is null or a.source_lsn <= $8::pg_lsn)
    returning a.legacy_id
  )
  select u.seq from u
  where not coalesce(u.passes, false)
     or (u.differs and u.legacy_id not in (select w.legacy_id from written w))`;

/** The spooled transaction {@linkcode mirrorSpooled} mirrors. */
export interface SpooledTransaction {
  slotName: string;
  xid: number;
  /** Its commit LSN. */
  lsn: string;
  /** Every `seq` of its changes is below it. */
  spooled: number;
}

/**
 * Mirrors in place the spooled changes of `tx` the mirror tries, on `partitions` (outside any
 * transaction), in rounds: each share commits asynchronously, before the caller's transaction,
 * which applies the rest and commits synchronously (its flush flushes theirs). Returns the `seq`
 * of the tried changes left to the plan, or null when a value the database refuses rolled a share
 * back: then every change is left to the plan, which isolates it. (Run {@linkcode markRepeated}
 * first.)
 */
export async function mirrorSpooled(
  partitions: readonly pg.ClientBase[],
  tx: SpooledTransaction,
): Promise<number[] | null> {
  const left: number[] = [];
  let refused = false;
  for (let from = 0; from < tx.spooled; from += CHUNK) {
    for (let round = 0; round < SHARED_ROUNDS; round++) {
      // Every share ends before the next round starts, a failed one too.
      const settled = await Promise.allSettled(
        partitions.map((client, partition) =>
          share(client, [
            tx.slotName,
            tx.xid,
            from,
            from + CHUNK,
            round,
            partition,
            partitions.length,
            tx.lsn,
          ])
        ),
      );
      for (const result of settled) {
        if (result.status === "rejected") throw result.reason;
        if (result.value === null) refused = true;
        else left.push(...result.value);
      }
    }
  }
  return refused ? null : left;
}

/**
 * A share in a transaction of its own, committed asynchronously, in one round trip in the simple
 * protocol (no portal left open, see `beginApplying`); null when a value is refused.
 */
async function share(
  client: pg.ClientBase,
  values: (string | number)[],
): Promise<number[] | null> {
  try {
    const results = await client.query(
      `begin; set local synchronous_commit = off; select ${BY_KEY_SETTINGS}; ${
        inlineParameters(SHARE, values)
      }; commit`,
    ) as unknown as pg.QueryResult<{ seq: string }>[];
    return results[3]!.rows.map((row) => Number(row.seq));
  } catch (error) {
    await client.query("rollback").catch(() => {});
    if (isDataError(error)) return null;
    throw error;
  }
}
