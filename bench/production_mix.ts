/**
 * A production mix of legacy changes, generated inside the legacy server by a procedure that
 * commits as it goes: transactions of 1–1,000 changes (sizes drawn at random), each change drawn
 * as 85 % `last_login_at` updates (a column the daemon does not mirror), 8 % display-name edits,
 * 4 % inserts (a fifth of them taking a username somebody has), 2 % renames and 1 % deletes. The
 * rows to change are found through the primary key at random points; the marker row is never
 * touched. Seeded: the same seed on the same table draws the same changes.
 */
import type pg from "../src/db/pg.ts";
import { legacyUserRowsSql } from "../src/demo/legacy_user_rows_sql.ts";
import { MARKER_ID } from "./marker.ts";

/** Changes of each kind, as committed. */
export interface MixCounts {
  transactions: number;
  logins: number;
  displayNames: number;
  inserts: number;
  renames: number;
  deletes: number;
}

/** Every change of a mix, mirrored or not. */
export function totalChanges(counts: MixCounts): number {
  return counts.logins + counts.displayNames + counts.inserts + counts.renames + counts.deletes;
}

/** The changes the daemon mirrors: all but the `last_login_at` updates. */
export function mirroredChanges(counts: MixCounts): number {
  return totalChanges(counts) - counts.logins;
}

/** The largest transaction of the mix. */
export const MAX_TRANSACTION_CHANGES = 1_000;

const rows = (ids: string, seed: string, firstId: string) =>
  legacyUserRowsSql({ ids, seed, batchFirstId: firstId, batchRows: "1" });

// Variables are prefixed: the generator's SQL has short column names of its own.
const PROCEDURE = `
create or replace procedure bench_mix(
  p_changes bigint, p_transactions bigint, p_seed float8, p_tick bigint,
  inout p_transactions_done bigint default 0, inout p_logins bigint default 0,
  inout p_display_names bigint default 0, inout p_inserts bigint default 0,
  inout p_renames bigint default 0, inout p_deletes bigint default 0)
language plpgsql as $mix$
declare
  v_done bigint := 0;
  v_size int; v_login int; v_display int; v_fresh int; v_taken int; v_rename int; v_delete int;
  v_lo bigint := ${MARKER_ID} + 1; v_hi bigint; v_next bigint; v_need int;
  v_picked bigint[]; v_renamed bigint[]; v_names text[]; v_at int; v_count bigint; v_mirrored bigint;
begin
  -- The generator's statements take far longer to plan than to run on a few rows: plan them once.
  perform set_config('plan_cache_mode', 'force_generic_plan', false);
  if p_seed is not null then perform setseed(p_seed); end if;
  while v_done < p_changes and p_transactions_done < p_transactions loop
    v_size := least(p_changes - v_done, 1 + floor(random() * ${MAX_TRANSACTION_CHANGES}))::int;
    select count(*) filter (where u < 0.85), count(*) filter (where u >= 0.85 and u < 0.93),
           count(*) filter (where u >= 0.93 and u < 0.962),
           count(*) filter (where u >= 0.962 and u < 0.97),
           count(*) filter (where u >= 0.97 and u < 0.99), count(*) filter (where u >= 0.99)
      into v_login, v_display, v_fresh, v_taken, v_rename, v_delete
      from (select random() as u from generate_series(1, v_size)) draws;
    select max(id) into v_hi from users;
    v_next := v_hi + 1;
    -- Distinct rows, each the first at or after a random point of the key range; a few more
    -- points than rows, as two points may find the same row.
    v_need := v_login + v_display + v_rename + v_delete;
    select coalesce(array_agg(id order by k), '{}') into v_picked
      from (select id, k from (select distinct on (t.id) t.id, p.k
        from (select k, v_lo + floor(random() * (v_hi - v_lo + 1))::bigint as probe_at
              from generate_series(1, v_need + v_need / 8 + 8) k) p
        cross join lateral (select id from users where id >= p.probe_at order by id limit 1) t
        order by t.id, p.k) distinct_rows order by k limit v_need) picked;
    v_mirrored := 0;
    v_at := 1;
    delete from users where id = any(v_picked[v_at : v_at + v_delete - 1]);
    get diagnostics v_count = row_count;
    p_deletes := p_deletes + v_count; v_mirrored := v_mirrored + v_count;
    v_at := v_at + v_delete;
    select coalesce(array_agg(g.username order by g.id), '{}'),
           coalesce(array_agg(g.id order by g.id), '{}')
      into v_names, v_renamed
      from (${
  rows("unnest(v_picked[v_at : v_at + v_rename - 1])", "hashint8extended(v_next, 7)", "0")
}) g;
    update users u set username = case when r.username is distinct from u.username
                                       then r.username else coalesce(u.username, '') || '2' end
      from unnest(v_renamed, v_names) as r(id, username)
      where u.id = r.id;
    get diagnostics v_count = row_count;
    p_renames := p_renames + v_count; v_mirrored := v_mirrored + v_count;
    v_at := v_at + v_rename;
    update users set display_name = 'edit ' || v_next || ' ' || id
      where id = any(v_picked[v_at : v_at + v_display - 1]);
    get diagnostics v_count = row_count;
    p_display_names := p_display_names + v_count; v_mirrored := v_mirrored + v_count;
    v_at := v_at + v_display;
    update users set last_login_at = now() where id = any(v_picked[v_at :]);
    get diagnostics v_count = row_count;
    p_logins := p_logins + v_count;
    -- Names somebody has right now, for a fifth of the new users.
    select coalesce(array_agg(t.username), '{}') into v_names
      from (select v_lo + floor(random() * (v_hi - v_lo + 1))::bigint as probe_at
            from generate_series(1, v_taken)) p
      cross join lateral (select username from users
                          where id >= p.probe_at and username is not null order by id limit 1) t;
    insert into users (id, username, created_at, display_name, email)
      select g.id, coalesce(v_names[(g.id - v_next + 1)::int], g.username), now(),
             g.display_name, g.email
      from (${rows("generate_series(v_next, v_next + v_fresh + v_taken - 1)", "1", "v_next")}) g;
    get diagnostics v_count = row_count;
    p_inserts := p_inserts + v_count; v_mirrored := v_mirrored + v_count;
    if p_tick is not null and v_mirrored > 0 then
      update users set display_name = 'tick ' || p_tick where id = ${MARKER_ID};
    end if;
    commit;
    v_done := v_done + v_size;
    p_transactions_done := p_transactions_done + 1;
  end loop;
end
$mix$`;

/** Creates (or replaces) the mix's procedure in the legacy database. */
export async function createMixProcedure(legacy: pg.ClientBase): Promise<void> {
  await legacy.query(PROCEDURE);
}

/** Options of {@linkcode runMix}. */
export interface RunMixOptions {
  /** Changes to commit in all; the last transaction is cut to fit. */
  changes: number;
  /** Transactions to commit at most. */
  transactions?: number;
  /** Seeds the session's random draws (−1 to 1); the session's sequence goes on when omitted. */
  seed?: number;
  /**
   * Set the marker row's display name to `tick <tick>` at the end of a transaction that has
   * mirrored changes: the steady load times those.
   */
  tick?: number;
}

/**
 * Commits the mix on `legacy`, which must not be in a transaction (the procedure commits each of
 * its own).
 */
export async function runMix(legacy: pg.ClientBase, options: RunMixOptions): Promise<MixCounts> {
  const literal = (value: number | undefined) => value === undefined ? "null" : String(value);
  // Literals, not parameters: a CALL that commits inside runs in the simple query protocol.
  const { rows } = await legacy.query(
    `call bench_mix(${options.changes}, ${
      literal(options.transactions ?? Number.MAX_SAFE_INTEGER)
    }, ${literal(options.seed)}, ${literal(options.tick)})`,
  );
  const row = rows[0]!;
  return {
    transactions: Number(row.p_transactions_done),
    logins: Number(row.p_logins),
    displayNames: Number(row.p_display_names),
    inserts: Number(row.p_inserts),
    renames: Number(row.p_renames),
    deletes: Number(row.p_deletes),
  };
}
