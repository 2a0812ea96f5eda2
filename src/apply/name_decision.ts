/** What the policy makes of one legacy account, before contested names are resolved. */
import {
  generatePublicId,
  type ProtectedNames,
  type RandomSource,
  type ReasonCode,
  sortReasons,
  usernameCandidate,
  usernameSkeleton,
  type UsernameTier,
} from "../policy/mod.ts";
import type { AccountChange } from "./account_change.ts";
import { escapeReportValue } from "./report_value.ts";

/** Tiers by rank: a smaller rank wins a contested name. */
export const TIER_RANK: Readonly<Record<UsernameTier, number>> = {
  exact: 1,
  normalized: 2,
  derived: 3,
};

/** The tier of each rank, as stored in `username_source` and the report. */
export const TIER_BY_RANK: readonly UsernameTier[] = ["exact", "normalized", "derived"];

/** A legacy account with its candidate name (if any) and a fresh public ID. */
export interface NameDecision {
  legacyId: string;
  legacyInt: string | null;
  /** Rank of the candidate's tier (1 exact … 3 derived); null when there is no candidate. */
  tier: number | null;
  candidate: string | null;
  skeleton: string | null;
  /** What a fallback may be built from; null when nothing may be. */
  base: string | null;
  reasons: ReasonCode[];
  /** The protected name the value resembled, when that is why it has no candidate. */
  resembles: string | null;
  /** The legacy value as read. */
  username: string | null;
  /** The legacy value, escaped for the report. */
  rawValue: string | null;
  displayName: string | null;
  createdAt: string | null;
  publicId: string;
  sourceLsn: string;
}

/** Options of {@linkcode decideName}. */
export interface DecideNameOptions {
  protectedNames?: ProtectedNames;
  random: RandomSource;
}

/** Judges a legacy account's username by the policy and draws its public ID. */
export function decideName(change: AccountChange, options: DecideNameOptions): NameDecision {
  const decision = usernameCandidate(change.username, {
    protectedNames: options.protectedNames,
  });
  const isCandidate = decision.kind === "candidate";
  return {
    legacyId: change.legacyId,
    legacyInt: change.legacyInt,
    tier: isCandidate ? TIER_RANK[decision.tier] : null,
    candidate: isCandidate ? decision.username : null,
    skeleton: isCandidate ? usernameSkeleton(decision.username) : null,
    base: decision.base,
    // A report row, if the name gets one, also says what cleaning the display name did.
    reasons: change.displayNameReasons
      ? sortReasons([...decision.reasons, ...change.displayNameReasons])
      : decision.reasons,
    resembles: decision.kind === "none" ? decision.resembles ?? null : null,
    username: change.username ?? null,
    rawValue: escapeReportValue(change.username),
    displayName: change.displayName ?? null,
    createdAt: change.createdAt ?? null,
    publicId: generatePublicId(options.random),
    sourceLsn: change.lsn,
  };
}
