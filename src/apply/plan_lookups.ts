/**
 * What a slice needs looked up before it is planned: the candidate names it may claim, the
 * tombstone names it may give, and the legacy ids it may create accounts for. It errs on the
 * side of looking up too much; a name it misses is still checked, one round later.
 */
import {
  type ProtectedNames,
  type RandomSource,
  type UsernameCandidate,
  usernameSkeleton,
} from "../policy/mod.ts";
import type { AccountChange } from "./account_change.ts";
import { candidateOf, tombstoneDraw } from "./plan_changes.ts";
import { escapeReportValue } from "./report_value.ts";
import type { StoredAccount } from "./stored_account.ts";

/** Names and skeletons to look up, legacy ids without an account, creation times to parse. */
export interface SliceLookups {
  names: string[];
  /** Skeletons of the candidates: another active account with one makes a look-alike. */
  skeletons: string[];
  newLegacyIds: string[];
  /** Creation times of the changes that pass the LSN guard. */
  createdAts: string[];
}

/** Collects the look-ups of `changes`, filling `candidates` with the policy's decisions. */
export function planLookups(
  changes: readonly AccountChange[],
  accounts: ReadonlyMap<string, StoredAccount>,
  options: {
    /** Whether each change passes the LSN guard. */
    applies: readonly boolean[];
    candidates: Map<string, UsernameCandidate>;
    protectedNames: ProtectedNames;
    /** Drawn names by change and attempt, shared with the planner: tombstones' first draws. */
    draws: Map<string, string>;
    random: RandomSource;
  },
): SliceLookups {
  const changesPerId = new Map<string, number>();
  const count = (legacyId: string) =>
    changesPerId.set(legacyId, (changesPerId.get(legacyId) ?? 0) + 1);
  /** Keys an account may move away from: an upsert of one may need a new account. */
  const movedFrom = new Set<string>();
  for (const change of changes) {
    count(change.legacyId);
    if (change.previousLegacyId !== undefined) {
      count(change.previousLegacyId);
      movedFrom.add(change.previousLegacyId);
    }
  }
  const names = new Set<string>();
  const skeletons = new Set<string>();
  const newLegacyIds = new Set<string>();
  const createdAts = new Set<string>();
  for (const [index, change] of changes.entries()) {
    if (!options.applies[index]) continue;
    if (typeof change.createdAt === "string") createdAts.add(change.createdAt);
    const stored = accounts.get(change.legacyId) ??
      (change.previousLegacyId === undefined ? undefined : accounts.get(change.previousLegacyId));
    if (change.kind === "delete") {
      if (stored?.status === "active") {
        names.add(tombstoneDraw(options.draws, index, 0, options.random));
      }
      continue;
    }
    if (stored === undefined || movedFrom.has(change.legacyId)) newLegacyIds.add(change.legacyId);
    const judged = stored === undefined || stored.status === "deleted" ||
      changesPerId.get(change.legacyId)! > 1 ||
      (change.username !== undefined &&
        escapeReportValue(change.username) !== stored.legacyUsername);
    if (!judged) continue;
    const candidate = candidateOf(change.username, options.candidates, options.protectedNames);
    if (candidate.kind === "candidate") {
      names.add(candidate.username);
      skeletons.add(usernameSkeleton(candidate.username));
    }
  }
  return {
    names: [...names],
    skeletons: [...skeletons],
    newLegacyIds: [...newLegacyIds],
    createdAts: [...createdAts],
  };
}
