/**
 * One set-based attempt at a slice of changes: read its accounts and the names it may use in two
 * round trips, decide everything in memory, write it in a few statements. Fallback and tombstone
 * names drawn without a look-up are checked afterwards; when one is taken, the slice is planned
 * again knowing it (earlier draws are kept, so only that account draws again).
 */
import type pg from "../db/pg.ts";
import { generatePublicId, type UsernameCandidate } from "../policy/mod.ts";
import type { AccountChange } from "./account_change.ts";
import type { ApplyOptions, ChangeOutcome } from "./apply_options.ts";
import { type Plan, planChanges } from "./plan_changes.ts";
import { planLookups } from "./plan_lookups.ts";
import { type NameClaim, readNameClaims } from "./read_name_claims.ts";
import { passesGuard } from "./lsn_guard.ts";
import { legacyIdsOf, readAccounts, type StoredAccount } from "./stored_account.ts";
import { writePlan } from "./write_plan.ts";

/** Rounds of planning after which names that keep turning out taken are a bug. */
const MAX_ROUNDS = 20;

/** What every slice of one call shares. */
export interface SliceContext {
  /** Each account's LSN before the call, by legacy id. */
  baseline: ReadonlyMap<string, string | null>;
  options: ApplyOptions;
}

/**
 * Applies `changes` in one go; throws, having possibly written part of them, when any fails
 * (run it inside a savepoint). `accounts`: the slice's accounts when already read.
 */
export async function applySlice(
  client: pg.ClientBase,
  changes: readonly AccountChange[],
  context: SliceContext,
  accounts?: ReadonlyMap<string, StoredAccount>,
): Promise<ChangeOutcome[]> {
  const { options } = context;
  accounts ??= await readAccounts(client, legacyIdsOf(changes));
  const applies = passesGuard(changes, context.baseline, options.continuing);
  // A replayed batch: nothing to look up, nothing to write.
  if (!applies.includes(true)) return changes.map(() => "skipped");
  const candidates = new Map<string, UsernameCandidate>();
  const draws = new Map<string, string>();
  const lookups = planLookups(changes, accounts, {
    applies,
    candidates,
    protectedNames: options.protectedNames,
    draws,
    random: options.random,
  });
  const publicIds = lookups.newLegacyIds.map(() => generatePublicId(options.random));
  // The slice's own accounts are judged by the planner as they change.
  const exceptAccounts = [...accounts.values()].map((account) => account.accountId);
  const found = await readNameClaims(client, {
    names: lookups.names,
    publicIds,
    newAccounts: publicIds.length,
    createdAts: lookups.createdAts,
    skeletons: lookups.skeletons,
    exceptAccounts,
  });
  await redrawTakenPublicIds(client, publicIds, found.takenPublicIds, options);
  const claims = new Map<string, NameClaim>(found.claims);
  const checked = new Set(lookups.names);
  const lookalikes = new Set(found.lookalikes);
  const checkedSkeletons = new Set(lookups.skeletons);
  const fresh = new Map(
    lookups.newLegacyIds.map((legacyId, i) => [
      legacyId,
      { accountId: found.accountIds[i]!, publicId: publicIds[i]! },
    ]),
  );
  let plan: Plan;
  for (let round = 1;; round++) {
    plan = planChanges(
      {
        changes,
        accounts,
        applies,
        claims,
        checked,
        lookalikes,
        checkedSkeletons,
        fresh,
        draws,
        candidates,
      },
      options,
    );
    if (plan.unverified.size === 0 && plan.unverifiedSkeletons.size === 0) break;
    const names = [...plan.unverified];
    const skeletons = [...plan.unverifiedSkeletons];
    const more = await readNameClaims(client, { names, skeletons, exceptAccounts });
    for (const name of names) checked.add(name);
    for (const skeleton of skeletons) checkedSkeletons.add(skeleton);
    if (more.claims.size === 0 && more.lookalikes.size === 0) break;
    for (const [name, claim] of more.claims) claims.set(name, claim);
    for (const skeleton of more.lookalikes) lookalikes.add(skeleton);
    if (round === MAX_ROUNDS) {
      throw new Error(
        `Cannot plan ${changes.length} changes: names drawn were still taken after ${MAX_ROUNDS} rounds`,
      );
    }
  }
  await writePlan(client, plan, options);
  return plan.outcomes;
}

/** Draws again, in place, every public ID that an account already has, or another draw. */
async function redrawTakenPublicIds(
  client: pg.ClientBase,
  publicIds: string[],
  taken: ReadonlySet<string>,
  options: ApplyOptions,
): Promise<void> {
  let clashing = taken;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const seen = new Set<string>();
    const redrawn: string[] = [];
    for (let i = 0; i < publicIds.length; i++) {
      if (clashing.has(publicIds[i]!) || seen.has(publicIds[i]!)) {
        publicIds[i] = generatePublicId(options.random);
        redrawn.push(publicIds[i]!);
      }
      seen.add(publicIds[i]!);
    }
    if (redrawn.length === 0) return;
    clashing = (await readNameClaims(client, { names: [], publicIds: redrawn })).takenPublicIds;
  }
  throw new Error(`Cannot draw public IDs: still taken after ${MAX_ROUNDS} rounds`);
}
