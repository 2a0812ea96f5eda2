/**
 * The in-place mirror of a spooled transaction: what `mirrorInPlace` does for a batch whose values
 * it sends as arrays, done by joining the spool to the accounts, in the same rounds and
 * partitions, each share in a transaction of its own committed at once. One plain keyed UPDATE
 * per share writes what passes and differs (measured on 1,000,000 spooled display-name updates: 7.0
 * to 8.6 s and 12–14 s of identity CPU, against 8.9 to 12.8 s and 15–20 s for the in-place mirror's
 * shape, which judges every change in a materialized CTE and returns what it left); what it left
 * is looked for only when it wrote fewer than the share holds.
 */
import type pg from "../db/pg.ts";
import {
  MAX_LEFT,
  mirrorTriesSql,
  OF_TRANSACTION,
  ofTransaction,
  type SpooledTransaction,
} from "./change_spool.ts";
import { isDataError } from "./isolate_poison.ts";
import { BY_KEY_SETTINGS } from "./look_up_by_key.ts";
import { SHARED_ROUNDS } from "./mirror_in_place.ts";
import { inlineParameters } from "../db/sql_literal.ts";
import { arrayLiteral } from "../db/array_literal.ts";

/**
 * Spool pages a round's shares cover together: about 5,000 changes, as a batch of the stream's
 * (a row takes about 160 bytes). Rows COPYed one after the other lie on pages one after the other.
 * Each share takes its own part of those pages, not every change of its own legacy ids among them:
 * changes spooled together are mostly of accounts stored together, so the shares' backends update
 * different pages of the accounts. (1,000,000 spooled display-name updates on two connections of a
 * server of their own, four alternating pairs: 6.3–9.3 s by parts of the pages, against 8.5–11.5 s
 * by a hash of the legacy id.) They never wait for each other either way: of each account, the
 * mirror tries one change at most (the others of its id are marked repeated).
 */
const CHUNK_PAGES = 100;

/**
 * Marks every spooled change of a legacy id that `tx` changes more than once (or re-keys): their
 * order is the plan's business, so the mirror leaves them alone. The spool marked those after an
 * id's first as they came; this marks the first ones, of the ids it found (`tx.repeatedIds`), by
 * one scan of the transaction's rows, or none when it found none. When it found too many, the ids
 * are counted in the spool (a pass over it that groups every id: 1.1 s at 1M).
 */
export async function markRepeated(
  client: pg.ClientBase,
  tx: SpooledTransaction,
): Promise<void> {
  if (tx.repeatedIds === null) {
    // Fresh statistics of the spool, which has just been filled: without them the planner may
    // take a million rows for a few and look for the repeated ones once a row.
    await client.query("analyze identity.stream_spool");
    await client.query(
      `update identity.stream_spool s set repeated = true
       where ${OF_TRANSACTION} and s.legacy_id in (
         select id from (
           select s.legacy_id as id from identity.stream_spool s
           where ${OF_TRANSACTION} and s.legacy_id is not null
           union all
           select s.previous_legacy_id from identity.stream_spool s
           where ${OF_TRANSACTION} and s.previous_legacy_id is not null
         ) ids
         group by id having count(*) > 1
       )`,
      ofTransaction(tx, tx.aborted),
    );
  } else if (tx.repeatedIds.length > 0) {
    await client.query(
      `update identity.stream_spool s set repeated = true
       where ${OF_TRANSACTION} and not s.repeated and s.legacy_id = any($5::text[])`,
      [...ofTransaction(tx, tx.aborted), tx.repeatedIds],
    );
  }
}

/**
 * The changes of one share: those of the transaction ({@linkcode OF_TRANSACTION}) on spool pages
 * [`$5`, `$6`), of round `$7`, that the mirror tries. (`s`: the spool.)
 */
const IN_SHARE = `s.ctid >= $5::tid and s.ctid < $6::tid and ${OF_TRANSACTION}
  and s.seq % ${SHARED_ROUNDS} = $7
  and ${mirrorTriesSql("s")}`;

/**
 * Whether account `a` takes the spooled change `s` in place at the commit LSN `$8`: active, not
 * past it, still under the legacy username the change carries.
 */
const PASSES = `a.status = 'active' and (a.source_lsn is null or a.source_lsn <= $8::pg_lsn)
  and (not s.username_sent or a.legacy_username is not distinct from s.legacy_username)`;

/**
 * One share's writes: each change joined to its account once and written only when it passes and
 * a mapped value differs (most legacy updates touch columns the service does not map: those write
 * nothing). Returns how many it wrote and how many the share holds: when those differ, some were
 * unchanged, or did not pass ({@linkcode LEFT} says which). The share's changes are read from the
 * spool once, and counted from what was read (a second scan of the share's pages to count them cost
 * about 1 µs a change at 1M: 9.3 against 8.2–8.8 s for all shares on one connection).
 */
const WRITE = `with s as materialized (
    select s.legacy_id, s.username_sent, s.legacy_username, s.display_name_sent, s.display_name,
           s.created_at_sent, s.created_at
    from identity.stream_spool s where ${IN_SHARE}
  ), written as (
    update identity.accounts as a
    set display_name = case when s.display_name_sent then s.display_name else a.display_name end,
        legacy_created_at = case when s.created_at_sent then s.created_at::timestamptz
                                 else a.legacy_created_at end,
        source_lsn = $8::pg_lsn, updated_at = now()
    from s
    where a.legacy_id = s.legacy_id and ${PASSES}
      and ((s.display_name_sent and a.display_name is distinct from s.display_name)
           or (s.created_at_sent
               and a.legacy_created_at is distinct from s.created_at::timestamptz))
    returning 1
  )
  select (select count(*) from written)::int as written, (select count(*) from s)::int as tried`;

/**
 * The `seq` of the share's changes left to the plan: no account, or one that does not pass. (After
 * {@linkcode WRITE}, in its transaction: what it wrote passes still, at the same LSN.)
 */
const LEFT = `select s.seq from identity.stream_spool s
  left join identity.accounts a on a.legacy_id = s.legacy_id
  where ${IN_SHARE} and not coalesce(${PASSES}, false)`;

/** What {@linkcode mirrorSpooled} did. */
export interface SpooledMirror {
  /**
   * The `seq` of the tried changes left to the plan; null: leave them all to it (a value the
   * database refused rolled a share back, or more than `MAX_LEFT` were left).
   */
  left: number[] | null;
  /** The changes the shares held, all together: each tried change once. */
  tried: number;
}

/**
 * Mirrors in place the spooled changes of `tx` the mirror tries, on `partitions` (outside any
 * transaction), in rounds: each share commits asynchronously, before the caller's transaction,
 * which applies the rest and commits synchronously (its flush flushes theirs). A change refused or
 * left goes to the plan, which isolates what fails. (Run {@linkcode markRepeated} first.)
 */
export async function mirrorSpooled(
  partitions: readonly pg.ClientBase[],
  tx: SpooledTransaction,
): Promise<SpooledMirror> {
  let left: number[] | null = [];
  let tried = 0;
  // The spool's pages as they are now: the transaction's rows are all written.
  const { rows } = await partitions[0]!.query<{ pages: string }>(
    "select pg_relation_size('identity.stream_spool') / current_setting('block_size')::int as pages",
  );
  const pages = Number(rows[0]!.pages);
  const transaction = ofTransaction(tx, arrayLiteral(tx.aborted.map(String)));
  /** Where the part of partition `partition` of a round's pages starts. */
  const pagesOf = (partition: number) => Math.floor(partition * CHUNK_PAGES / partitions.length);
  for (let from = 0; from < pages; from += CHUNK_PAGES) {
    for (let round = 0; round < SHARED_ROUNDS; round++) {
      // Every share ends before the next round starts, a failed one too.
      const settled = await Promise.allSettled(
        partitions.map((client, partition) =>
          share(client, [
            ...transaction,
            `(${from + pagesOf(partition)},0)`,
            `(${from + pagesOf(partition + 1)},0)`,
            round,
            tx.lsn,
          ], left !== null)
        ),
      );
      for (const result of settled) {
        if (result.status === "rejected") throw result.reason;
        tried += result.value.tried;
        if (result.value.left === null || left === null) left = null;
        else left.push(...result.value.left);
        if (left !== null && left.length > MAX_LEFT) left = null;
      }
    }
  }
  return { left, tried };
}

/**
 * A share in a transaction of its own, committed asynchronously, in the simple protocol (no portal
 * left open, see `beginApplying`): one round trip for its writes, one more to find what it left
 * (when `findLeft` and it did not write every change), one to commit. `left` null when a value is
 * refused (nothing written) or not looked for.
 */
async function share(
  client: pg.ClientBase,
  values: (string | number)[],
  findLeft: boolean,
): Promise<{ left: number[] | null; tried: number }> {
  try {
    const results = await client.query(
      `begin; set local synchronous_commit = off; select ${BY_KEY_SETTINGS}; ${
        inlineParameters(WRITE, values)
      }`,
    ) as unknown as pg.QueryResult<{ written: number; tried: number }>[];
    const { written, tried } = results[3]!.rows[0]!;
    let left: number[] | null = [];
    if (written !== tried) {
      left = findLeft
        ? (await client.query<{ seq: string }>(inlineParameters(LEFT, values))).rows
          .map((row) => Number(row.seq))
        : null;
    }
    await client.query("commit");
    return { left, tried };
  } catch (error) {
    await client.query("rollback").catch(() => {});
    if (!isDataError(error)) throw error;
    // Rolled back: how many it held is counted still, none of them applied.
    const { rows } = await client.query<{ tried: number }>(
      `select count(*)::int as tried from identity.stream_spool s where ${
        inlineParameters(IN_SHARE, values)
      }`,
    );
    return { left: null, tried: rows[0]!.tried };
  }
}
