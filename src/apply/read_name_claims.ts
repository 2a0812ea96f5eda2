/**
 * What the identity tables say about names and public IDs the apply is about to use: who owns
 * each name, who holds it and whether the hold is still running; which public IDs exist. In the
 * same round trip it draws account ids for the accounts a batch creates, so that holds, reports
 * and tombstone names can refer to them before anything is written, and it parses the creation
 * times the batch will apply: only the last value of an account is written, and a bad one that a
 * later change overwrites must still fail, as it would on its own.
 */
import type pg from "../db/pg.ts";

/** Who has a name: its owner, and the account holding it after a release. */
export interface NameClaim {
  /** Account id of the account whose username it is; null when none. */
  owner: string | null;
  /** Account id of the account whose released name it is; null when none. */
  holder: string | null;
  /** Whether the hold still keeps everyone but the holder out. */
  holdActive: boolean;
}

/** What to look up. */
export interface ClaimsLookup {
  names: readonly string[];
  publicIds?: readonly string[];
  /** How many account ids to draw from the accounts' identity sequence. */
  newAccounts?: number;
  /** Legacy creation times to parse as timestamptz; one that does not fails the query. */
  createdAts?: readonly (string | null)[];
  /** Skeletons to look for among active accounts other than `exceptAccounts`. */
  skeletons?: readonly string[];
  /** Account ids whose own skeletons do not count (the slice tracks them itself). */
  exceptAccounts?: readonly string[];
}

/** The answer; a name without an entry in `claims` is free. */
export interface Claims {
  claims: Map<string, NameClaim>;
  takenPublicIds: Set<string>;
  accountIds: string[];
  /** The skeletons looked up that an active account (not excepted) has. */
  lookalikes: Set<string>;
}

/**
 * Looks up `lookup` in one query. The look-alike search reads each skeleton's accounts through
 * its index (`offset 0` keeps it one lookup per skeleton): joined whole, the planner took
 * `<> all(…)` over a slice's accounts for a filter that leaves almost nothing, and compared every
 * skeleton with every account.
 */
export async function readNameClaims(
  client: pg.ClientBase,
  lookup: ClaimsLookup,
): Promise<Claims> {
  const { rows } = await client.query<{
    claims: [string, string | null, string | null, boolean][];
    taken_public_ids: string[];
    account_ids: string[];
    lookalikes: string[];
  }>(
    `select
       (select coalesce(json_agg(json_build_array(n.name, a.account_id::text, h.account_id::text,
                 h.username is not null and (h.held_until is null or h.held_until > now()))), '[]')
        from unnest($1::text[]) as n(name)
        left join identity.accounts a on a.username = n.name
        left join identity.username_holds h on h.username = n.name
        where a.account_id is not null or h.username is not null) as claims,
       array(select p from unnest($2::text[]) as p
             where exists (select 1 from identity.accounts a where a.public_id = p))
         as taken_public_ids,
       array(select nextval((select pg_get_serial_sequence('identity.accounts', 'account_id'))
                            ::regclass)::text
             from generate_series(1, $3)) as account_ids,
       cardinality($4::timestamptz[]) as created_ats,
       array(select k from unnest($5::text[]) as k
             where exists (select 1 from (select a.account_id from identity.accounts a
                                          where a.username_skeleton = k and a.status = 'active'
                                          offset 0) as same
                           where same.account_id <> all($6::bigint[]))) as lookalikes`,
    [
      lookup.names,
      lookup.publicIds ?? [],
      lookup.newAccounts ?? 0,
      lookup.createdAts ?? [],
      lookup.skeletons ?? [],
      lookup.exceptAccounts ?? [],
    ],
  );
  const row = rows[0]!;
  return {
    claims: new Map(
      row.claims.map(([name, owner, holder, holdActive]) => [name, { owner, holder, holdActive }]),
    ),
    takenPublicIds: new Set(row.taken_public_ids),
    accountIds: row.account_ids,
    lookalikes: new Set(row.lookalikes),
  };
}
