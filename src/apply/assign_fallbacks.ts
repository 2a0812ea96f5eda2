/**
 * The snapshot's second pass: every staged account that did not win its
 * candidate gets a fallback name (`base_NNNN`, wider suffixes, then `user_` +
 * random) in `identity.snapshot_names`: unique among the run's names and the
 * existing accounts, never one on hold, with the reasons why.
 */
import type pg from "../db/pg.ts";
import {
  fallbackUsername,
  type RandomSource,
  type ReasonCode,
  usernameSkeleton,
} from "../policy/mod.ts";
import { sortReasons } from "../policy/reason_codes.ts";
import { BASED_ATTEMPTS, SHORT_SUFFIX_ATTEMPTS } from "../policy/fallback_username.ts";
import { claimOrderSql, onHoldSql } from "./claim_contested_names.ts";
import { TIER_BY_RANK } from "./name_decision.ts";
import { settled } from "./settled.ts";

/** Attempts after which a name that still collides is a bug, not bad luck. */
const MAX_ATTEMPTS = 40;

/** A staged account still without one, as the fallback pass reads it. */
interface Unassigned {
  legacy_id: string;
  tier: number | null;
  candidate: string | null;
  skeleton: string | null;
  base: string | null;
  reasons: ReasonCode[];
  /** Why the candidate is not free: HELD, TAKEN, TAKEN_BY_OLDER; null when it is free. */
  lost: ReasonCode | null;
}

/** One try at a name for one account. */
interface Proposal {
  account: Unassigned;
  /** -1: the account's own candidate (it was free); 0…: fallback attempts. */
  attempt: number;
  reasons: ReasonCode[];
}

/** Options of {@linkcode assignFallbacks}. */
export interface AssignFallbacksOptions {
  random: RandomSource;
  /**
   * `own` (default): `reader` opens its own snapshot transaction. `caller`:
   * `reader` is already inside one (a dry run, where reader and writer are one
   * connection and everything is rolled back).
   */
  transaction?: "own" | "caller";
  batchSize?: number;
  onProgress?: (assigned: number) => void;
}

/**
 * Gives every staged account of `slotName` without an account one. `reader`
 * walks them in claim order inside a snapshot; `writer` commits a batch at a
 * time, so a crash loses nothing and a re-run continues.
 */
export async function assignFallbacks(
  reader: pg.Client,
  writer: pg.Client,
  slotName: string,
  options: AssignFallbacksOptions,
): Promise<{ assigned: number }> {
  const { batchSize = 5_000 } = options;
  const own = options.transaction !== "caller";
  let assigned = 0;
  if (own) await reader.query("begin isolation level repeatable read read only");
  try {
    // Every row is read: plan for the whole result (hash anti-joins), not for the first rows,
    // which on PostgreSQL 14 meant a nested loop over the staging tables, quadratic in rows.
    await reader.query("set local cursor_tuple_fraction = 1");
    // The walk is one sort of every unassigned row: in memory, not in temporary files.
    await reader.query("set local work_mem = '256MB'");
    await reader.query(
      `declare unassigned no scroll cursor for
       select s.legacy_id, s.tier, s.candidate, s.skeleton, s.base, s.reasons,
              case when s.candidate is null then null
                   when ${onHoldSql("s.candidate")} then 'HELD'
                   when exists (select 1 from identity.snapshot_names n
                                where n.username = s.candidate) then 'TAKEN_BY_OLDER'
                   when exists (select 1 from identity.accounts a
                                where a.username = s.candidate and a.legacy_id is null) then 'TAKEN'
                   when exists (select 1 from identity.accounts a
                                where a.username = s.candidate) then 'TAKEN_BY_OLDER'
                   end as lost
       from identity.snapshot_rows s
       where s.slot_name = $1
         and not exists (select 1 from identity.snapshot_names n where n.legacy_id = s.legacy_id)
         and not exists (select 1 from identity.accounts a where a.legacy_id = s.legacy_id)
       order by s.candidate nulls last, ${claimOrderSql("s")}`,
      [slotName],
    );
    const firstAttempt = new Map<string, number>();
    const fetch = () => settled(reader.query<Unassigned>(`fetch ${batchSize} from unassigned`));
    // The next batch is read while this one is assigned: the reader's server process works
    // meanwhile, instead of waiting for the writer's.
    let next = fetch();
    while (true) {
      const { rows } = await next.result();
      if (rows.length === 0) break;
      next = fetch();
      assigned += await assignBatch(writer, slotName, rows, options.random, firstAttempt);
      options.onProgress?.(assigned);
    }
    await reader.query("close unassigned");
  } finally {
    if (own) await reader.query("rollback");
  }
  return { assigned };
}

/**
 * Gives each account of the batch a name. `firstAttempt` remembers, per base,
 * a suffix width that ran out (every `alex_NNNN` taken), so later accounts of
 * a popular base start wider instead of colliding through every attempt.
 */
async function assignBatch(
  writer: pg.Client,
  slotName: string,
  accounts: Unassigned[],
  random: RandomSource,
  firstAttempt: Map<string, number>,
): Promise<number> {
  const startFor = (account: Unassigned) =>
    account.base === null ? 0 : firstAttempt.get(account.base) ?? 0;
  let pending: Proposal[] = accounts.map((account) =>
    account.candidate !== null && account.lost === null
      ? { account, attempt: -1, reasons: account.reasons }
      : {
        account,
        attempt: startFor(account),
        reasons: account.lost ? sortReasons([...account.reasons, account.lost]) : account.reasons,
      }
  );
  let assigned = 0;
  while (pending.length > 0) {
    const inserted = await insertProposals(writer, slotName, pending, random);
    assigned += inserted.size;
    pending = pending.filter((p) => !inserted.has(p.account.legacy_id)).map((p) => {
      if (p.attempt === -1) {
        return {
          ...p,
          attempt: startFor(p.account),
          reasons: sortReasons([...p.reasons, "TAKEN_BY_OLDER" as const]),
        };
      }
      const next = p.attempt + 1;
      if ((next === SHORT_SUFFIX_ATTEMPTS || next === BASED_ATTEMPTS) && p.account.base !== null) {
        firstAttempt.set(p.account.base, Math.max(next, firstAttempt.get(p.account.base) ?? 0));
      }
      return { ...p, attempt: Math.max(next, startFor(p.account)) };
    });
    const stuck = pending.find((p) => p.attempt > MAX_ATTEMPTS);
    if (stuck) {
      throw new Error(
        `Cannot assign a username to legacy account ${stuck.account.legacy_id}: ${MAX_ATTEMPTS} fallback names in a row were taken`,
      );
    }
  }
  return assigned;
}

/**
 * A fallback for `base` at `attempt` that is not in `drawn`, which it joins: two accounts of one
 * batch drawing the same name would collide for nothing, so a name already drawn is drawn again (a
 * few times; a collision left after that is caught where the names are stored).
 */
export function drawDistinct(
  drawn: Set<string>,
  base: string | null,
  attempt: number,
  random: RandomSource,
): string {
  let name = fallbackUsername(base, attempt, random);
  for (let i = 0; i < 8 && drawn.has(name); i++) name = fallbackUsername(base, attempt, random);
  drawn.add(name);
  return name;
}

/** Records one name per proposal; returns the legacy ids that got theirs. */
async function insertProposals(
  writer: pg.Client,
  slotName: string,
  proposals: Proposal[],
  random: RandomSource,
): Promise<Set<string>> {
  const drawn = new Set<string>();
  const names = proposals.map((p) =>
    p.attempt === -1 ? p.account.candidate! : drawDistinct(drawn, p.account.base, p.attempt, random)
  );
  const claimed = proposals.map((p) => p.attempt === -1);
  const { rows } = await writer.query<{ legacy_id: string }>(
    `insert into identity.snapshot_names (slot_name, username, legacy_id, username_source,
       skeleton, decision, reasons)
     select $1, i.username, i.legacy_id, i.source, i.skeleton, i.decision,
            coalesce(string_to_array(nullif(i.reasons, ''), ','), '{}')
     from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
       as i(legacy_id, username, source, skeleton, decision, reasons)
     where not ${onHoldSql("i.username")}
       and not exists (select 1 from identity.accounts a where a.username = i.username)
     on conflict (username) do nothing
     returning legacy_id`,
    [
      slotName,
      proposals.map((p) => p.account.legacy_id),
      names,
      proposals.map((p, i) => claimed[i] ? TIER_BY_RANK[p.account.tier! - 1]! : "generated"),
      proposals.map((p, i) => claimed[i] ? p.account.skeleton! : usernameSkeleton(names[i]!)),
      proposals.map((p, i) =>
        !claimed[i] ? "fallback" : p.account.tier === 1 ? "exact" : "claimed"
      ),
      proposals.map((p) => p.reasons.join(",")),
    ],
  );
  return new Set(rows.map((row) => row.legacy_id));
}
