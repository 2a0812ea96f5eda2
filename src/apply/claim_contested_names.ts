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

/** SQL for the username source of a staged tier rank (`tier` column, optionally aliased). */
export function tierNameSql(alias?: string): string {
  return `(array['exact', 'normalized', 'derived'])[${alias ? `${alias}.` : ""}tier]`;
}

/** SQL that is true when the name `nameSql` is on hold and nobody else may take it yet. */
export function onHoldSql(nameSql: string): string {
  return `exists (select 1 from identity.username_holds h
    where h.username = ${nameSql} and (h.held_until is null or h.held_until > now()))`;
}

/** Whether a name of the run of `slotName` is decided in `identity.snapshot_names`. */
export async function namesDecided(client: pg.ClientBase, slotName: string): Promise<boolean> {
  const { rowCount } = await client.query(
    "select 1 from identity.snapshot_names where slot_name = $1 limit 1",
    [slotName],
  );
  return rowCount !== 0;
}

/**
 * Records, in `identity.snapshot_names`, the winner of every staged candidate
 * name that is free: not held, not an existing account's. Losers are left for
 * `assignFallbacks`. Run it once, in the transaction that moves the run's
 * phase on.
 */
export async function claimContestedNames(
  client: pg.ClientBase,
  slotName: string,
): Promise<{ claimed: number }> {
  // Fresh statistics keep the planner to one sort and hash joins; memory keeps the sort off disk.
  await client.query("analyze identity.snapshot_rows");
  await client.query("set local work_mem = '256MB'");
  const { rowCount } = await client.query(
    `insert into identity.snapshot_names (slot_name, username, legacy_id, username_source,
       skeleton, decision, reasons)
     select $1, candidate, legacy_id, ${tierNameSql()}, skeleton,
            case when tier = 1 then 'exact' else 'claimed' end, reasons
     from (
       select s.*, row_number() over (partition by candidate order by ${claimOrderSql()})
         as claim_rank
       from identity.snapshot_rows s
       where s.slot_name = $1 and s.candidate is not null
     ) r
     where claim_rank = 1
       and not ${onHoldSql("r.candidate")}
       and not exists (select 1 from identity.accounts a where a.username = r.candidate)
       and not exists (select 1 from identity.accounts a where a.legacy_id = r.legacy_id)
     order by candidate`,
    [slotName],
  );
  return { claimed: rowCount ?? 0 };
}
