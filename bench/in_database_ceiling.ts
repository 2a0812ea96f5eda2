/**
 * The snapshot's in-database ceiling: the hand-written SQL migration a DBA would write, run inside
 * the legacy server. One `INSERT … SELECT` into an unindexed copy of the accounts table (the
 * lower-cased name when it has the right shape, the oldest account winning by `row_number()`, a
 * plain fallback and a random ID for the rest), then the unique indexes built.
 */
import type pg from "../src/db/pg.ts";

/** Creates the empty `bench_accounts` and checkpoints, so that the migration starts clean. */
export async function prepareCeiling(client: pg.ClientBase): Promise<void> {
  await client.query("drop table if exists bench_accounts");
  await client.query(`create table bench_accounts (
    account_id bigint generated always as identity, legacy_id text, public_id text,
    username text collate "C", username_source text, display_name text,
    legacy_created_at timestamptz, created_at timestamptz default now())`);
  await client.query("checkpoint");
}

/** The timed part: the migration into `bench_accounts`, indexes included. */
export async function migrateInDatabase(client: pg.ClientBase): Promise<void> {
  await client.query(`
    insert into bench_accounts (legacy_id, public_id, username, username_source, display_name,
                                legacy_created_at)
    select id::text, substr(md5(random()::text), 1, 16),
           case when shaped and claim_rank = 1 then name else 'user_' || id end,
           case when shaped and claim_rank = 1 then 'exact' else 'generated' end,
           display_name, created_at
    from (
      select u.*, lower(u.username) as name,
             coalesce(lower(u.username) ~ '^[a-z0-9]+([._][a-z0-9]+)*$'
                      and char_length(u.username) between 3 and 30, false) as shaped,
             row_number() over (partition by lower(u.username) order by u.created_at, u.id)
               as claim_rank
      from users u) ranked`);
  await client.query("create unique index on bench_accounts (username)");
  await client.query("create unique index on bench_accounts (legacy_id)");
  await client.query("create unique index on bench_accounts (public_id)");
}

/** Fails unless the migration wrote `rows` accounts; drops `bench_accounts`. */
export async function dropCeiling(client: pg.ClientBase, rows: number): Promise<void> {
  const { rows: counted } = await client.query("select count(*)::int as n from bench_accounts");
  if (counted[0].n !== rows) throw new Error(`in-database migration wrote ${counted[0].n} rows`);
  await client.query("drop table bench_accounts");
}
