/**
 * The snapshot's load into an empty `identity.accounts` in one pass over the staged rows: the
 * losers of contested names (and the accounts without a candidate) are found by one window
 * function and get a fallback drawn beforehand; every other staged account won its candidate.
 * The winners' accounts are written while the losers' fallbacks are drawn (on the worker threads)
 * and stored by a session of their own, which keeps a drawn fallback only when no staged account
 * has it as its candidate and no better claimant drew it too; one statement then writes the
 * losers' accounts. No decided name is stored apart from its account. The few staged accounts
 * whose fallback collided are left without one, for the fallback pass over what is left.
 */
import { copyRows } from "../db/copy_rows.ts";
import type pg from "../db/pg.ts";
import { claimOrderSql, namesDecided, tierNameSql } from "../apply/claim_contested_names.ts";
import { buildIndexes, dropIndexesWhenEmpty, type LoadResult } from "../apply/load_accounts.ts";
import { type Settled, settled } from "../apply/settled.ts";
import type { SnapshotCounts } from "./snapshot_summary.ts";
import type { FallbackDrawer, Loser } from "./draw_fallbacks.ts";

/** Staged accounts read, drawn for and written at a time. */
const BATCH = 5_000;

/** What a one-pass load did. */
export interface OnePassResult extends LoadResult {
  /** Staged accounts whose drawn fallback collided: still without an account. */
  leftovers: number;
  /** The decisions of the accounts it loaded (`rows`: every staged row). */
  counts: SnapshotCounts;
}

/** Options of {@linkcode loadInOnePass}. */
export interface OnePassOptions {
  /** Draws the fallbacks (see `drawingHere` and `SnapshotWorkers`). */
  drawer: FallbackDrawer;
  /** A connection outside the load's transaction that reads the staged accounts to draw for. */
  reader: pg.Client;
  /** Another, that stores the fallbacks drawn while the load's transaction writes accounts. */
  writer: pg.Client;
  onProgress?: (drawn: number) => void;
}

/**
 * Loads every staged account of `slotName` in one pass, inside the open transaction on `client`,
 * when `identity.accounts` is empty and no name of the run was decided before (else returns
 * null: the load goes name by name). With no account there is no hold and no taken name either
 * (a hold belongs to an account), so a candidate is free exactly when no better claimant wants it.
 *
 * @throws {PublicIdCollision} when two staged accounts drew the same public ID.
 */
export async function loadInOnePass(
  client: pg.ClientBase,
  slotName: string,
  options: OnePassOptions,
): Promise<OnePassResult | null> {
  // The losers' accounts come from what the writer commits meanwhile: each statement its own
  // snapshot. (Its first statement: the level is set before any query takes a snapshot.)
  await client.query("set transaction isolation level read committed");
  // Fresh statistics of the staged rows, for one sort per window and hash joins, on every
  // session: committed by the writer (the load's own would be seen by the load alone), before
  // the load locks anything (another run's transaction may hold the staged rows' statistics
  // while it waits for the accounts: a wait through this process PostgreSQL would not see).
  await options.writer.query("analyze identity.snapshot_rows");
  await client.query("set local work_mem = '256MB'");
  await client.query("set local maintenance_work_mem = '512MB'");
  await client.query("lock table identity.accounts in share row exclusive mode");
  if (await namesDecided(client, slotName)) return null;
  const accountIndexes = await dropIndexesWhenEmpty(client, "accounts");
  if (accountIndexes === null) return null;
  const reportIndexes = await dropIndexesWhenEmpty(client, "migration_report");
  // Two server processes at once: the winners' accounts here, the losers' fallbacks beside.
  let winnersFailed = false;
  const winners = settled(
    loadWinners(client, slotName).catch((error) => {
      winnersFailed = true;
      throw error;
    }),
  );
  let leftovers;
  try {
    leftovers = await drawFallbacks(slotName, options, () => winnersFailed);
  } finally {
    await winners.result().catch(() => {});
  }
  const won = await winners.result();
  const lost = await loadLosers(client, slotName);
  await buildIndexes(client, slotName, reportIndexes, accountIndexes);
  // The planner still takes both tables for empty: what follows in the transaction (the pass
  // over what is left, the report) would scan them once per row.
  await client.query("analyze identity.accounts, identity.migration_report");
  return {
    loaded: won.loaded + lost.loaded,
    bulk: true,
    stragglers: 0,
    leftovers,
    counts: {
      rows: won.loaded + lost.loaded + leftovers,
      claimed: { exact: won.exact, normalized: won.normalized, derived: won.derived },
      fallbacks: lost.loaded,
      reasons: addReasons(won.reasons, lost.reasons),
    },
  };
}

/** What a statement of the load wrote. */
interface Loaded {
  loaded: number;
  /** Loaded accounts by reason code (of those with a report row). */
  reasons: Record<string, number>;
}

/** Reason counts of both statements, most frequent first. */
function addReasons(
  a: Record<string, number>,
  b: Record<string, number>,
): Record<string, number> {
  const sum = new Map(Object.entries(a));
  for (const [reason, n] of Object.entries(b)) sum.set(reason, (sum.get(reason) ?? 0) + n);
  return Object.fromEntries(
    [...sum].sort(([r1, n1], [r2, n2]) => n2 - n1 || (r1 < r2 ? -1 : r1 > r2 ? 1 : 0)),
  );
}

/** The reason counts of the report rows `reported` returns, as one JSON object. */
const REASONS =
  `select coalesce(json_object_agg(reason, n order by n desc, reason), '{}') as reasons
  from (select reason, count(*)::int as n
        from reported cross join unnest(reported.reasons) as reason
        group by reason) r`;

/**
 * Writes the account of every staged account that wins its candidate (the best claimant of it),
 * in the staged rows' order (the legacy key's, mostly: a burst of updates in key order then finds
 * its accounts side by side), and the report rows of those not taken as they were.
 */
async function loadWinners(
  client: pg.ClientBase,
  slotName: string,
): Promise<Loaded & { exact: number; normalized: number; derived: number }> {
  const { rows } = await client.query(
    `with beaten as materialized (
       select legacy_id from (
         select s.legacy_id,
                row_number() over (partition by s.candidate order by ${claimOrderSql("s")})
                  as claim_rank
         from identity.snapshot_rows s
         where s.slot_name = $1 and s.candidate is not null
       ) r
       where claim_rank > 1
     ),
     decided as materialized (
       select s.legacy_id, s.public_id, s.display_name, s.raw_value, s.legacy_created_at,
              s.source_lsn, s.tier, s.resembles, s.candidate as username, s.skeleton, s.reasons,
              ${tierNameSql("s")} as username_source
       from identity.snapshot_rows s
       where s.slot_name = $1 and s.candidate is not null
         and not exists (select 1 from beaten b where b.legacy_id = s.legacy_id)
     ),
     loaded as (
       insert into identity.accounts (legacy_id, public_id, username, username_skeleton,
         username_source, display_name, legacy_username, legacy_created_at, source_lsn)
       select legacy_id, public_id, username, skeleton, username_source, display_name,
              raw_value, legacy_created_at, source_lsn
       from decided
       returning 1
     ),
     reported as (
       insert into identity.migration_report (legacy_id, raw_value, tier, decision, reasons,
         username, source, source_lsn, resembles)
       select legacy_id, raw_value, username_source, 'claimed', reasons, username, 'snapshot',
              source_lsn, resembles
       from decided where tier <> 1
       returning reasons
     )
     select (select count(*) from loaded)::int as loaded,
            count(*) filter (where tier = 1)::int as exact,
            count(*) filter (where tier = 2)::int as normalized,
            count(*) filter (where tier = 3)::int as derived,
            (${REASONS}) as reasons
     from decided`,
    [slotName],
  );
  return rows[0];
}

/** Writes the account of every staged account with a drawn fallback that did not collide. */
async function loadLosers(client: pg.ClientBase, slotName: string): Promise<Loaded> {
  const { rows } = await client.query(
    `with decided as materialized (
       select s.legacy_id, s.public_id, s.display_name, s.raw_value, s.legacy_created_at,
              s.source_lsn, s.tier, s.resembles, f.username, f.skeleton, f.reasons
       from identity.snapshot_rows s
       join identity.snapshot_fallbacks f on f.legacy_id = s.legacy_id and f.slot_name = $1
       where s.slot_name = $1
     ),
     loaded as (
       insert into identity.accounts (legacy_id, public_id, username, username_skeleton,
         username_source, display_name, legacy_username, legacy_created_at, source_lsn)
       select legacy_id, public_id, username, skeleton, 'generated', display_name, raw_value,
              legacy_created_at, source_lsn
       from decided
       returning 1
     ),
     reported as (
       insert into identity.migration_report (legacy_id, raw_value, tier, decision, reasons,
         username, source, source_lsn, resembles)
       select legacy_id, raw_value, ${tierNameSql()}, 'fallback', reasons, username, 'snapshot',
              source_lsn, resembles
       from decided
       returning reasons
     )
     select (select count(*) from loaded)::int as loaded, (${REASONS}) as reasons`,
    [slotName],
  );
  return rows[0];
}

/**
 * The drawn fallbacks of `$1` that collided, deleted: a fallback that is some staged account's
 * candidate (its winner has it), or that an account with a better claim drew too. Only the names
 * drawn more than once are sorted. Every test is a join, which spills to disk at any size: a
 * subquery under an OR, or a NOT IN, is hashed only while the planner expects it to fit in
 * memory, and otherwise runs once per fallback.
 */
const DELETE_COLLIDED = `with taken as (
    select f.legacy_id from identity.snapshot_fallbacks f
    where f.slot_name = $1
      and exists (select 1 from identity.snapshot_rows s
                  where s.slot_name = $1 and s.candidate = f.username)
  ),
  doubled as (
    select username from identity.snapshot_fallbacks where slot_name = $1
    group by username having count(*) > 1
  ),
  outranked as (
    select legacy_id from (
      select f.legacy_id,
             row_number() over (partition by f.username order by ${claimOrderSql("s")})
               as name_rank
      from identity.snapshot_fallbacks f
      join doubled d on d.username = f.username
      join identity.snapshot_rows s on s.slot_name = $1 and s.legacy_id = f.legacy_id
      where f.slot_name = $1
    ) r
    where name_rank > 1
  ),
  collided as (select legacy_id from taken union select legacy_id from outranked)
  delete from identity.snapshot_fallbacks f
  using collided c
  where f.slot_name = $1 and f.legacy_id = c.legacy_id`;

/**
 * Draws a fallback for every staged account that will not get its candidate, stored by
 * `options.writer` in a transaction of its own (after deleting what a failed load left), which
 * drops the ones that collided and commits before the losers' accounts are written. Its reasons
 * are the ones the fallback pass gives: the account's own, and TAKEN_BY_OLDER when it had a
 * candidate. Returns how many collided. Stops early, storing nothing, once `abandoned()` (the
 * load's own statement failed).
 */
async function drawFallbacks(
  slotName: string,
  options: OnePassOptions,
  abandoned: () => boolean,
): Promise<number> {
  const { reader, writer, drawer } = options;
  await reader.query("begin isolation level repeatable read read only");
  await writer.query("begin");
  try {
    await writer.query("set local work_mem = '64MB'");
    await writer.query("delete from identity.snapshot_fallbacks where slot_name = $1", [slotName]);
    await reader.query(
      `declare losers no scroll cursor for
       select legacy_id, base, reasons, candidate is not null as lost,
              count(*) over (partition by base) as base_losers
       from (
         select s.legacy_id, s.base, s.reasons, s.candidate,
                row_number() over (partition by s.candidate order by ${claimOrderSql("s")})
                  as claim_rank
         from identity.snapshot_rows s
         where s.slot_name = $1
       ) r
       where candidate is null or claim_rank > 1`,
      [slotName],
    );
    const fetch = () => settled(reader.query<Loser>(`fetch ${BATCH} from losers`));
    // Three at once: the reader's server process reads the next batch, the drawer draws for
    // this one, and the writer's server process stores the one before.
    let next = fetch();
    let writing: Settled<void> | null = null;
    let drawn = 0;
    while (true) {
      const { rows } = await next.result();
      // Nothing to wait for: the load failed.
      if (rows.length === 0 || abandoned()) break;
      next = fetch();
      const fallbacks = await drawer.draw(rows);
      await writing?.result();
      writing = settled(copyRows(
        writer,
        "identity.snapshot_fallbacks (slot_name, legacy_id, username, skeleton, reasons)",
        fallbacks.map((fallback) => [slotName, ...fallback]),
      ));
      drawn += rows.length;
      options.onProgress?.(drawn);
    }
    await writing?.result();
    if (abandoned()) return 0;
    await reader.query("close losers");
    // Its statistics, for the hash joins that find the collided.
    await writer.query("analyze identity.snapshot_fallbacks");
    const { rowCount: collided } = await writer.query(DELETE_COLLIDED, [slotName]);
    await writer.query("commit");
    return collided ?? 0;
  } finally {
    // After a failure, what failed is the error to report, not a rollback on a broken session.
    await Promise.all(
      [reader.query("rollback"), writer.query("rollback")].map((p) => p.catch(() => {})),
    );
  }
}
