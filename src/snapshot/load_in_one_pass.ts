/**
 * The snapshot's load into an empty `identity.accounts` in one pass over the staged rows: the
 * losers of contested names (and the accounts without a candidate) are found by one window
 * function and get a fallback drawn beforehand, kept in a temporary table without an index;
 * every other staged account won its candidate. One statement then writes the accounts, keeping
 * a drawn fallback only when no staged account has it as its candidate and no better claimant
 * drew it too. No decided name is stored apart from its account. The few staged accounts whose
 * fallback collided are left without one, for the fallback pass over what is left.
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
  /**
   * A second connection, outside the load's transaction, that reads the staged accounts to draw
   * for while `client` writes the fallbacks already drawn.
   */
  reader: pg.Client;
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
  await client.query("set local work_mem = '256MB'");
  await client.query("set local maintenance_work_mem = '512MB'");
  await client.query("lock table identity.accounts in share row exclusive mode");
  if (await namesDecided(client, slotName)) return null;
  const accountIndexes = await dropIndexesWhenEmpty(client, "accounts");
  if (accountIndexes === null) return null;
  const reportIndexes = await dropIndexesWhenEmpty(client, "migration_report");
  // Fresh statistics of the staged rows: one sort per window, hash joins, here and after.
  await client.query("analyze identity.snapshot_rows");
  await drawFallbacks(client, slotName, options);
  // A staged account without a drawn fallback won its candidate: every name is a winner's once.
  // So a drawn fallback is kept unless it is some staged account's candidate (its winner has it)
  // or another account with a better claim drew it too; only the fallbacks are sorted.
  const { rows } = await client.query<OnePassRow>(
    `with collided as materialized (
       select f.legacy_id from pg_temp.snapshot_fallbacks f
       where f.username in (select s.candidate from identity.snapshot_rows s
                            where s.slot_name = $1 and s.candidate is not null)
       union all
       select legacy_id from (
         select f.legacy_id,
                row_number() over (partition by f.username order by ${claimOrderSql("s")})
                  as name_rank
         from pg_temp.snapshot_fallbacks f
         join identity.snapshot_rows s on s.legacy_id = f.legacy_id and s.slot_name = $1
       ) d
       where name_rank > 1
     ),
     decided as materialized (
       select s.legacy_id, s.public_id, s.display_name, s.raw_value, s.legacy_created_at,
              s.source_lsn, s.tier, s.resembles,
              coalesce(f.username, s.candidate) as username,
              coalesce(f.skeleton, s.skeleton) as skeleton,
              case when f.legacy_id is null then ${tierNameSql("s")} else 'generated' end
                as username_source,
              case when f.legacy_id is not null then 'fallback'
                   when s.tier = 1 then 'exact' else 'claimed' end as decision,
              coalesce(f.reasons, s.reasons) as reasons,
              case when f.legacy_id is null then s.candidate is not null
                   else f.legacy_id not in (select legacy_id from collided) end as named
       from identity.snapshot_rows s
       left join pg_temp.snapshot_fallbacks f on f.legacy_id = s.legacy_id
       where s.slot_name = $1
     ),
     loaded as (
       insert into identity.accounts (legacy_id, public_id, username, username_skeleton,
         username_source, display_name, legacy_username, legacy_created_at, source_lsn)
       select legacy_id, public_id, username, skeleton, username_source, display_name,
              raw_value, legacy_created_at, source_lsn
       from decided where named
       returning 1
     ),
     -- Nothing reads it: a data-modifying WITH runs to the end all the same.
     reported as (
       insert into identity.migration_report (legacy_id, raw_value, tier, decision, reasons,
         username, source, source_lsn, resembles)
       select legacy_id, raw_value, (array['exact', 'normalized', 'derived'])[tier], decision,
              reasons, username, 'snapshot', source_lsn, resembles
       from decided where named and decision <> 'exact'
     ),
     counted as (
       select count(*)::int as rows,
              count(*) filter (where not named)::int as leftovers,
              count(*) filter (where named and decision <> 'fallback' and tier = 1)::int as exact,
              count(*) filter (where named and decision <> 'fallback' and tier = 2)::int
                as normalized,
              count(*) filter (where named and decision <> 'fallback' and tier = 3)::int
                as derived,
              count(*) filter (where named and decision = 'fallback')::int as fallbacks
       from decided
     ),
     reasons as (
       select coalesce(json_object_agg(reason, n order by n desc, reason), '{}') as reasons
       from (select reason, count(*)::int as n
             from decided cross join unnest(decided.reasons) as reason
             where named and decision <> 'exact'
             group by reason) r
     )
     select (select count(*) from loaded)::int as loaded, counted.*, reasons.reasons
     from counted, reasons`,
    [slotName],
  );
  await client.query("drop table pg_temp.snapshot_fallbacks");
  await buildIndexes(client, slotName, reportIndexes, accountIndexes);
  // The planner still takes both tables for empty: what follows in the transaction (the pass
  // over what is left, the report) would scan them once per row.
  await client.query("analyze identity.accounts, identity.migration_report");
  const row = rows[0]!;
  return {
    loaded: row.loaded,
    bulk: true,
    stragglers: 0,
    leftovers: row.leftovers,
    counts: {
      rows: row.rows,
      claimed: { exact: row.exact, normalized: row.normalized, derived: row.derived },
      fallbacks: row.fallbacks,
      reasons: row.reasons,
    },
  };
}

/** What the one-pass statement returns. */
interface OnePassRow {
  loaded: number;
  rows: number;
  leftovers: number;
  exact: number;
  normalized: number;
  derived: number;
  fallbacks: number;
  reasons: Record<string, number>;
}

/**
 * Draws a fallback for every staged account that will not get its candidate, into a temporary
 * table without an index.
 */
async function drawFallbacks(
  client: pg.ClientBase,
  slotName: string,
  options: OnePassOptions,
): Promise<void> {
  await client.query(
    `create temporary table snapshot_fallbacks (
       legacy_id text collate "C" not null,
       username text collate "C" not null,
       skeleton text collate "C" not null,
       reasons text[] not null
     ) on commit drop`,
  );
  const { reader, drawer } = options;
  await reader.query("begin isolation level repeatable read read only");
  try {
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
      if (rows.length === 0) break;
      next = fetch();
      const fallbacks = await drawer.draw(rows);
      await writing?.result();
      writing = settled(copyRows(
        client,
        "pg_temp.snapshot_fallbacks (legacy_id, username, skeleton, reasons)",
        fallbacks,
      ));
      drawn += rows.length;
      options.onProgress?.(drawn);
    }
    await writing?.result();
    await reader.query("close losers");
  } finally {
    await reader.query("rollback");
  }
  await client.query("analyze pg_temp.snapshot_fallbacks");
}
