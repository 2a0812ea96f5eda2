/**
 * The set-based heart of the snapshot: every staged candidate name goes to the
 * best claimant in one sort: better tier, then the oldest account (no
 * creation time counts as newest), then the smaller legacy id. The result does
 * not depend on how the rows were read, by how many workers, in what order.
 */
import type pg from "../db/pg.ts";

/** SQL ordering claimants of one name (staged rows, optionally aliased), best first. */
export function claimOrderSql(alias?: string): string {
  const p = alias ? `${alias}.` : "";
  return `${p}tier, ${p}legacy_created_at asc nulls last, ${p}legacy_int asc nulls last, ${p}legacy_id`;
}

/** SQL for the username source of a staged tier rank. */
export const TIER_NAME_SQL = "(array['exact', 'normalized', 'derived'])[tier]";

/** SQL that is true when the name `nameSql` is on hold and nobody else may take it yet. */
export function onHoldSql(nameSql: string): string {
  return `exists (select 1 from identity.username_holds h
    where h.username = ${nameSql} and (h.held_until is null or h.held_until > now()))`;
}

/**
 * Creates the accounts of every winning claimant whose name is free, with
 * report rows for those not claimed in the exact tier. Losers are left for
 * `assignFallbacks`. Run it once, in the transaction that moves the run's
 * phase on.
 */
export async function claimContestedNames(
  client: pg.ClientBase,
  slotName: string,
): Promise<{ claimed: number }> {
  await client.query("analyze identity.snapshot_rows");
  const { rows } = await client.query<{ claimed: string }>(
    `with ranked as (
       select s.*, row_number() over (partition by candidate order by ${claimOrderSql()}) as claim_rank
       from identity.snapshot_rows s
       where s.slot_name = $1 and s.candidate is not null
     ),
     winners as (
       select * from ranked r
       where claim_rank = 1
         and not ${onHoldSql("r.candidate")}
         and not exists (select 1 from identity.accounts a where a.legacy_id = r.legacy_id)
     ),
     claimed as (
       insert into identity.accounts (legacy_id, public_id, username, username_skeleton,
         username_source, display_name, legacy_created_at, source_lsn)
       select legacy_id, public_id, candidate, skeleton, ${TIER_NAME_SQL}, display_name,
              legacy_created_at, source_lsn
       from winners
       on conflict do nothing
       returning legacy_id, username
     )
     select count(*) as claimed from claimed`,
    [slotName],
  );
  // Statistics of the freshly loaded table keep the planner from a nested loop.
  await client.query("analyze identity.accounts");
  await client.query(
    `insert into identity.migration_report (legacy_id, raw_value, tier, decision, reasons,
       username, source, source_lsn)
     select s.legacy_id, s.raw_value, (array['exact', 'normalized', 'derived'])[s.tier],
            'claimed', s.reasons, a.username, 'snapshot', s.source_lsn
     from identity.snapshot_rows s
     join identity.accounts a on a.legacy_id = s.legacy_id and a.username = s.candidate
     where s.slot_name = $1 and s.tier > 1`,
    [slotName],
  );
  return { claimed: Number(rows[0]!.claimed) };
}
