/**
 * The snapshot's second pass: every staged account that did not win its
 * candidate gets a fallback name (`base_NNNN`, wider suffixes, then `user_` +
 * random), always unique, never one on hold, with a report row saying why.
 */
import type pg from "../db/pg.ts";
import {
  fallbackUsername,
  generatePublicId,
  type RandomSource,
  type ReasonCode,
  usernameSkeleton,
} from "../policy/mod.ts";
import { sortReasons } from "../policy/reason_codes.ts";
import { BASED_ATTEMPTS, SHORT_SUFFIX_ATTEMPTS } from "../policy/fallback_username.ts";
import { claimOrderSql, onHoldSql } from "./claim_contested_names.ts";
import { TIER_BY_RANK } from "./name_decision.ts";

/** Attempts after which a name that still collides is a bug, not bad luck. */
const MAX_ATTEMPTS = 40;

/** A staged account still without one, as the fallback pass reads it. */
interface Unassigned {
  legacy_id: string;
  tier: number | null;
  candidate: string | null;
  base: string | null;
  reasons: ReasonCode[];
  raw_value: string | null;
  display_name: string | null;
  legacy_created_at: string | null;
  source_lsn: string;
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
    await reader.query(
      `declare unassigned no scroll cursor for
       select s.legacy_id, s.tier, s.candidate, s.base, s.reasons, s.raw_value, s.display_name,
              s.legacy_created_at::text as legacy_created_at, s.source_lsn::text as source_lsn,
              case when s.candidate is null then null
                   when ${onHoldSql("s.candidate")} then 'HELD'
                   when a.account_id is null then null
                   when a.legacy_id is null then 'TAKEN'
                   else 'TAKEN_BY_OLDER' end as lost
       from identity.snapshot_rows s
       left join identity.accounts a on a.username = s.candidate
       where s.slot_name = $1
         and not exists (select 1 from identity.accounts x where x.legacy_id = s.legacy_id)
       order by s.candidate nulls last, ${claimOrderSql("s")}`,
      [slotName],
    );
    const firstAttempt = new Map<string, number>();
    while (true) {
      const { rows } = await reader.query<Unassigned>(`fetch ${batchSize} from unassigned`);
      if (rows.length === 0) break;
      assigned += await assignBatch(writer, rows, options.random, firstAttempt, own);
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
  accounts: Unassigned[],
  random: RandomSource,
  firstAttempt: Map<string, number>,
  ownTransaction: boolean,
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
    const inserted = await insertProposals(writer, pending, random, ownTransaction);
    assigned += inserted.size;
    const rest = pending.filter((p) => !inserted.has(p.account.legacy_id));
    const settled = await alreadyAssigned(writer, rest.map((p) => p.account.legacy_id));
    pending = rest.filter((p) => !settled.has(p.account.legacy_id)).map((p) => {
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

/** Inserts one name per proposal; returns the legacy ids that got theirs. */
async function insertProposals(
  writer: pg.Client,
  proposals: Proposal[],
  random: RandomSource,
  ownTransaction: boolean,
): Promise<Set<string>> {
  // Two accounts of one batch drawing the same fallback would collide for nothing: redraw.
  const drawn = new Set<string>();
  const names = proposals.map((p) => {
    if (p.attempt === -1) return p.account.candidate!;
    let name = fallbackUsername(p.account.base, p.attempt, random);
    for (let i = 0; i < 8 && drawn.has(name); i++) {
      name = fallbackUsername(p.account.base, p.attempt, random);
    }
    drawn.add(name);
    return name;
  });
  const claimed = proposals.map((p) => p.attempt === -1);
  // Inside a caller's transaction (a dry run) a savepoint stands in for our own.
  await writer.query(ownTransaction ? "begin" : "savepoint fallback_batch");
  try {
    const { rows } = await writer.query<{ legacy_id: string }>(
      `insert into identity.accounts (legacy_id, public_id, username, username_skeleton,
         username_source, display_name, legacy_created_at, source_lsn)
       select i.* from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                              $6::text[], $7::timestamptz[], $8::pg_lsn[])
         as i(legacy_id, public_id, username, skeleton, source, display_name, created_at,
              source_lsn)
       where not ${onHoldSql("i.username")}
       on conflict do nothing
       returning legacy_id`,
      [
        proposals.map((p) => p.account.legacy_id),
        proposals.map(() => generatePublicId(random)),
        names,
        names.map((name) => usernameSkeleton(name)),
        proposals.map((p, i) => claimed[i] ? TIER_BY_RANK[p.account.tier! - 1]! : "generated"),
        proposals.map((p) => p.account.display_name),
        proposals.map((p) => p.account.legacy_created_at),
        proposals.map((p) => p.account.source_lsn),
      ],
    );
    const inserted = new Set(rows.map((row) => row.legacy_id));
    // A claimed candidate needs a report unless it is the exact tier; a fallback always does.
    const reported = proposals.flatMap((p, i) =>
      inserted.has(p.account.legacy_id) && (!claimed[i] || p.account.tier !== 1)
        ? [{ p, username: names[i]!, decision: claimed[i] ? "claimed" : "fallback" }]
        : []
    );
    await insertReports(writer, reported);
    await writer.query(ownTransaction ? "commit" : "release savepoint fallback_batch");
    return inserted;
  } catch (error) {
    await writer.query(ownTransaction ? "rollback" : "rollback to savepoint fallback_batch");
    throw error;
  }
}

async function insertReports(
  writer: pg.Client,
  reports: { p: Proposal; username: string; decision: string }[],
): Promise<void> {
  if (reports.length === 0) return;
  await writer.query(
    `insert into identity.migration_report (legacy_id, raw_value, tier, decision, reasons,
       username, source, source_lsn)
     select legacy_id, raw_value, tier, decision,
            coalesce(string_to_array(nullif(reasons, ''), ','), '{}'), username, 'snapshot',
            source_lsn
     from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                 $7::pg_lsn[])
       as r(legacy_id, raw_value, tier, decision, reasons, username, source_lsn)`,
    [
      reports.map((r) => r.p.account.legacy_id),
      reports.map((r) => r.p.account.raw_value),
      reports.map((r) => r.p.account.tier === null ? null : TIER_BY_RANK[r.p.account.tier - 1]!),
      reports.map((r) => r.decision),
      reports.map((r) => r.p.reasons.join(",")),
      reports.map((r) => r.username),
      reports.map((r) => r.p.account.source_lsn),
    ],
  );
}

/** The legacy ids among `legacyIds` that have an account already. */
async function alreadyAssigned(writer: pg.Client, legacyIds: string[]): Promise<Set<string>> {
  if (legacyIds.length === 0) return new Set();
  const { rows } = await writer.query<{ legacy_id: string }>(
    "select legacy_id from identity.accounts where legacy_id = any($1::text[])",
    [legacyIds],
  );
  return new Set(rows.map((row) => row.legacy_id));
}
