/**
 * The stream's decisions, made in memory before anything is written: for a slice of changes in
 * commit order, what each account becomes, which names go on hold or come off it, and which
 * report rows explain a name. Pure: the accounts and names it knows of were read before, and
 * every name it had to use without knowing it is returned as unverified, so that the caller
 * looks those up and plans again when one turns out to be taken.
 */
import {
  fallbackUsername,
  type ProtectedNames,
  type RandomSource,
  type ReasonCode,
  type UsernameCandidate,
  usernameCandidate,
  usernameSkeleton,
  type UsernameTier,
} from "../policy/mod.ts";
import { sortReasons } from "../policy/reason_codes.ts";
import type { AccountChange } from "./account_change.ts";
import type { ChangeOutcome } from "./apply_options.ts";
import type { NameClaim } from "./read_name_claims.ts";
import { escapeReportValue } from "./report_value.ts";
import type { StoredAccount } from "./stored_account.ts";
import { TOMBSTONE_ATTEMPTS, tombstoneUsername } from "./tombstone_username.ts";

/** Fallback attempts after which a name that still collides is a bug, not bad luck. */
const MAX_FALLBACK_ATTEMPTS = 40;

const FREE: NameClaim = { owner: null, holder: null, holdActive: false };

/** An account as the slice leaves it. */
export interface AccountDraft extends StoredAccount {
  /** Created by this slice: inserted rather than updated. */
  isNew: boolean;
  /** Changed by this slice. */
  touched: boolean;
}

/** A name going on hold for its last owner. */
export interface HoldWrite {
  username: string;
  accountId: string;
  reason: "renamed" | "deleted";
}

/** An account moved to a new legacy id: a legacy primary-key change. */
export interface RekeyWrite {
  accountId: string;
  fromLegacyId: string;
  toLegacyId: string;
  /** Commit LSN of the change that moved the key. */
  sourceLsn: string;
}

/** Why an account's username is not its legacy value, lower-cased. */
export interface ReportRow {
  legacyId: string;
  rawValue: string | null;
  tier: UsernameTier | null;
  decision: "claimed" | "fallback" | "renamed" | "kept";
  reasons: ReasonCode[];
  username: string;
  sourceLsn: string;
  /** The protected name the candidate resembled, when that is why it was refused. */
  resembles: string | null;
}

/** What a slice will write. */
export interface Plan {
  /** One per change, in order. */
  outcomes: ChangeOutcome[];
  /** Stored accounts moved to a new legacy id, in the order the moves happened. */
  rekeys: RekeyWrite[];
  inserts: AccountDraft[];
  /** Accounts whose name, status or legacy name changed. */
  updates: AccountDraft[];
  /** Accounts of which only mirrored values changed (display name, creation time, LSN). */
  mirrors: AccountDraft[];
  holds: HoldWrite[];
  /** Names whose hold row goes: claimed again, or released by their holder. */
  unheld: string[];
  reports: ReportRow[];
  /** Names used without having been looked up (fallbacks, tombstone names). */
  unverified: Set<string>;
  /** Skeletons judged without having been looked up. */
  unverifiedSkeletons: Set<string>;
}

/** Everything the planner knows before it starts. */
export interface PlanInput {
  changes: readonly AccountChange[];
  /** The slice's accounts as stored, by legacy id. */
  accounts: ReadonlyMap<string, StoredAccount>;
  /** Whether each change passes the LSN guard. */
  applies: readonly boolean[];
  /** What the database says of looked-up names that someone owns or holds. */
  claims: ReadonlyMap<string, NameClaim>;
  /** Every name looked up; one of them missing from `claims` is free. */
  checked: ReadonlySet<string>;
  /** Skeletons of an active account outside the slice: a new claim of one is a look-alike. */
  lookalikes: ReadonlySet<string>;
  /** Every skeleton looked up; one missing from `lookalikes` has no active account outside. */
  checkedSkeletons: ReadonlySet<string>;
  /** Account id and public ID for each legacy id the slice may create. */
  fresh: ReadonlyMap<string, { accountId: string; publicId: string }>;
  /** Fallback draws by change and attempt, kept across rounds so that the rounds converge. */
  draws: Map<string, string>;
  /** Policy decisions by raw value, shared with the look-up pass. */
  candidates: Map<string, UsernameCandidate>;
}

/** Options of {@linkcode planChanges}. */
export interface PlanOptions {
  random: RandomSource;
  protectedNames: ProtectedNames;
  holdDays: number;
}

/** Decides every change of a slice, in order. */
export function planChanges(input: PlanInput, options: PlanOptions): Plan {
  return new SlicePlanner(input, options).plan();
}

/** The policy's decision on a raw legacy username, computed once per value. */
export function candidateOf(
  raw: string | null | undefined,
  candidates: Map<string, UsernameCandidate>,
  protectedNames: ProtectedNames,
): UsernameCandidate {
  if (typeof raw !== "string") return usernameCandidate(raw);
  let candidate = candidates.get(raw);
  if (candidate === undefined) {
    candidate = usernameCandidate(raw, { protectedNames });
    candidates.set(raw, candidate);
  }
  return candidate;
}

class SlicePlanner {
  readonly #input: PlanInput;
  readonly #options: PlanOptions;
  readonly #drafts = new Map<string, AccountDraft>();
  /** Names this slice changed: they override what the database said. */
  readonly #names = new Map<string, NameClaim>();
  /** The last word on each name's hold row: a hold, or null to remove it. */
  readonly #holdWrites = new Map<string, HoldWrite | null>();
  readonly #reports: ReportRow[] = [];
  readonly #rekeys: RekeyWrite[] = [];
  readonly #unverified = new Set<string>();
  readonly #unverifiedSkeletons = new Set<string>();
  /** Legacy ids of the slice's accounts by every skeleton they had; checked again on use. */
  readonly #skeletons = new Map<string, Set<string>>();

  constructor(input: PlanInput, options: PlanOptions) {
    this.#input = input;
    this.#options = options;
    for (const account of input.accounts.values()) {
      this.#drafts.set(account.legacyId, { ...account, isNew: false, touched: false });
      this.#indexSkeleton(account.usernameSkeleton, account.legacyId);
      this.#names.set(account.username, {
        owner: account.accountId,
        holder: null,
        holdActive: false,
      });
    }
  }

  plan(): Plan {
    const outcomes = this.#input.changes.map((change, index) => this.#apply(change, index));
    const drafts = [...this.#drafts.values()];
    const holds: HoldWrite[] = [];
    const unheld: string[] = [];
    for (const [name, write] of this.#holdWrites) {
      if (write === null) unheld.push(name);
      else holds.push(write);
    }
    const changed = drafts.filter((draft) => !draft.isNew && draft.touched);
    const mirrorsOnly = (draft: AccountDraft) =>
      onlyMirrored(draft, this.#input.accounts.get(draft.legacyId));
    return {
      outcomes,
      rekeys: this.#rekeys,
      inserts: drafts.filter((draft) => draft.isNew),
      updates: changed.filter((draft) => !mirrorsOnly(draft)),
      mirrors: changed.filter(mirrorsOnly),
      holds,
      unheld,
      reports: this.#reports,
      unverified: this.#unverified,
      unverifiedSkeletons: this.#unverifiedSkeletons,
    };
  }

  #apply(change: AccountChange, index: number): ChangeOutcome {
    // At or below the account's LSN before this call: a replay, or older than the snapshot's read.
    if (!this.#input.applies[index]) return "skipped";
    const rekeyed = change.previousLegacyId !== undefined &&
      this.#rekey(change.previousLegacyId, change);
    const outcome = this.#applyToAccount(change, index);
    return rekeyed ? "rekeyed" : outcome;
  }

  #applyToAccount(change: AccountChange, index: number): ChangeOutcome {
    const draft = this.#drafts.get(change.legacyId);
    if (change.kind === "delete") {
      if (draft === undefined || draft.status === "deleted") return "skipped";
      this.#tombstone(draft, change, index);
      return "deleted";
    }
    if (draft === undefined) {
      this.#create(change, index);
      return "inserted";
    }
    mirror(draft, change);
    if (draft.status === "deleted") {
      if (change.username !== undefined) {
        draft.legacyUsername = escapeReportValue(change.username);
      }
      this.#release(draft.username);
      draft.status = "active";
      this.#claimName(draft, change, index);
      return "reactivated";
    }
    if (change.username === undefined) return "mirrored";
    const raw = escapeReportValue(change.username);
    if (raw === draft.legacyUsername) return "mirrored";
    draft.legacyUsername = raw;
    return this.#rename(draft, change);
  }

  /**
   * Moves the account of `from` to the change's legacy id, when `from` has one; false when not
   * (the change is then an upsert of its new key, as for a row the snapshot never saw).
   *
   * @throws {Error} when the new key already has an account: two accounts would be one person.
   */
  #rekey(from: string, change: AccountChange): boolean {
    const draft = this.#drafts.get(from);
    if (draft === undefined) return false;
    const occupant = this.#drafts.get(change.legacyId);
    if (occupant !== undefined) {
      throw new Error(
        `Cannot re-key legacy account ${from} to ${change.legacyId}: legacy id ${change.legacyId} already has an account (${occupant.status}); resolve it by hand`,
      );
    }
    this.#drafts.delete(from);
    draft.legacyId = change.legacyId;
    draft.touched = true;
    this.#drafts.set(change.legacyId, draft);
    this.#indexSkeleton(draft.usernameSkeleton, draft.legacyId);
    // Report rows follow their account, as the stored ones do in `identity.rekey_account`.
    for (const report of this.#reports) {
      if (report.legacyId === from) report.legacyId = change.legacyId;
    }
    // An account this slice creates is simply created under its last key.
    if (!draft.isNew) {
      this.#rekeys.push({
        accountId: draft.accountId,
        fromLegacyId: from,
        toLegacyId: change.legacyId,
        sourceLsn: change.lsn,
      });
    }
    return true;
  }

  #create(change: AccountChange, index: number): void {
    const fresh = this.#input.fresh.get(change.legacyId);
    if (fresh === undefined) {
      throw new Error(`Cannot create legacy account ${change.legacyId}: no account id was drawn`);
    }
    const draft: AccountDraft = {
      accountId: fresh.accountId,
      legacyId: change.legacyId,
      publicId: fresh.publicId,
      username: "",
      usernameSkeleton: "",
      usernameSource: "generated",
      displayName: null,
      legacyUsername: escapeReportValue(change.username),
      status: "active",
      legacyCreatedAt: null,
      sourceLsn: change.lsn,
      isNew: true,
      touched: true,
    };
    mirror(draft, change);
    this.#drafts.set(change.legacyId, draft);
    this.#claimName(draft, change, index);
  }

  /** A new or reactivated account: its candidate if free, else a fallback. */
  #claimName(draft: AccountDraft, change: AccountChange, index: number): void {
    const candidate = this.#candidate(change.username);
    const tier = candidate.kind === "candidate" ? candidate.tier : null;
    let reasons = candidate.reasons;
    if (candidate.kind === "candidate") {
      const lost = this.#conflict(candidate.username, draft.accountId) ??
        this.#lookalike(candidate.username, draft.accountId);
      if (lost === null) {
        this.#take(candidate.username, draft, candidate.tier);
        if (candidate.tier !== "exact") this.#report(draft, change, tier, "claimed", reasons);
        return;
      }
      reasons = sortReasons([...reasons, lost]);
    }
    this.#take(this.#fallback(candidate.base, draft, index), draft, "generated");
    this.#report(draft, change, tier, "fallback", reasons, resemblesOf(candidate));
  }

  /** A legacy rename of an active account: re-claim, or keep the name and say why. */
  #rename(draft: AccountDraft, change: AccountChange): ChangeOutcome {
    const candidate = this.#candidate(change.username);
    if (candidate.kind === "none") {
      this.#report(draft, change, null, "kept", candidate.reasons, resemblesOf(candidate));
      return "renameRefused";
    }
    if (candidate.username === draft.username) {
      draft.usernameSource = candidate.tier;
      if (candidate.tier !== "exact") {
        this.#report(draft, change, candidate.tier, "kept", candidate.reasons);
      }
      return "mirrored";
    }
    const lost = this.#conflict(candidate.username, draft.accountId) ??
      this.#lookalike(candidate.username, draft.accountId);
    if (lost !== null) {
      const reasons = sortReasons([...candidate.reasons, lost]);
      this.#report(draft, change, candidate.tier, "kept", reasons);
      return "renameRefused";
    }
    this.#hold(draft.username, draft, "renamed");
    this.#take(candidate.username, draft, candidate.tier);
    if (candidate.tier !== "exact") {
      this.#report(draft, change, candidate.tier, "renamed", candidate.reasons);
    }
    return "renamed";
  }

  #tombstone(draft: AccountDraft, change: AccountChange, index: number): void {
    this.#hold(draft.username, draft, "deleted");
    let name: string | undefined;
    for (let attempt = 0; attempt < TOMBSTONE_ATTEMPTS && name === undefined; attempt++) {
      const candidate = tombstoneDraw(this.#input.draws, index, attempt, this.#options.random);
      if (this.#conflict(candidate, draft.accountId) === null) name = candidate;
    }
    if (name === undefined) {
      throw new Error(
        `Cannot tombstone legacy account ${draft.legacyId}: ${TOMBSTONE_ATTEMPTS} random tombstone names in a row were taken; the random source is broken`,
      );
    }
    this.#take(name, draft, "generated");
    draft.status = "deleted";
    draft.sourceLsn = change.lsn;
    draft.touched = true;
  }

  /** A fallback name for the change at `index`, escalating attempts past taken names. */
  #fallback(base: string | null, draft: AccountDraft, index: number): string {
    for (let attempt = 0; attempt < MAX_FALLBACK_ATTEMPTS; attempt++) {
      const key = `${index}:${attempt}`;
      let name = this.#input.draws.get(key);
      if (name === undefined) {
        name = fallbackUsername(base, attempt, this.#options.random);
        this.#input.draws.set(key, name);
      }
      if (this.#conflict(name, draft.accountId) === null) return name;
    }
    throw new Error(
      `Cannot assign a username to legacy account ${draft.legacyId}: ${MAX_FALLBACK_ATTEMPTS} fallback names in a row were taken`,
    );
  }

  #candidate(raw: string | null | undefined): UsernameCandidate {
    return candidateOf(raw, this.#input.candidates, this.#options.protectedNames);
  }

  #claimOf(name: string): NameClaim {
    const changed = this.#names.get(name);
    if (changed !== undefined) return changed;
    const stored = this.#input.claims.get(name);
    if (stored !== undefined) return stored;
    if (!this.#input.checked.has(name)) this.#unverified.add(name);
    return FREE;
  }

  /** Why `accountId` cannot take `name`, or null when it can. */
  #conflict(name: string, accountId: string): "TAKEN" | "HELD" | null {
    const claim = this.#claimOf(name);
    if (claim.owner !== null && claim.owner !== accountId) return "TAKEN";
    if (claim.holdActive && claim.holder !== accountId) return "HELD";
    return null;
  }

  /**
   * "LOOKALIKE" when `name` has the skeleton of another active account's username, as for an API
   * sign-up: a new legacy claim may not look like someone else. Claims already made stay.
   */
  #lookalike(name: string, accountId: string): "LOOKALIKE" | null {
    const skeleton = usernameSkeleton(name);
    if (!this.#input.checkedSkeletons.has(skeleton)) this.#unverifiedSkeletons.add(skeleton);
    if (this.#input.lookalikes.has(skeleton)) return "LOOKALIKE";
    for (const legacyId of this.#skeletons.get(skeleton) ?? []) {
      // A key an account moved away from may have no account any more.
      const other = this.#drafts.get(legacyId);
      if (
        other !== undefined && other.accountId !== accountId && other.status === "active" &&
        other.usernameSkeleton === skeleton
      ) return "LOOKALIKE";
    }
    return null;
  }

  #indexSkeleton(skeleton: string, legacyId: string): void {
    let ids = this.#skeletons.get(skeleton);
    if (ids === undefined) this.#skeletons.set(skeleton, ids = new Set());
    ids.add(legacyId);
  }

  #take(name: string, draft: AccountDraft, source: string): void {
    // A name in use is never also on hold: its own or an expired hold goes.
    if (this.#claimOf(name).holder !== null) this.#holdWrites.set(name, null);
    this.#names.set(name, { owner: draft.accountId, holder: null, holdActive: false });
    draft.username = name;
    draft.usernameSkeleton = usernameSkeleton(name);
    this.#indexSkeleton(draft.usernameSkeleton, draft.legacyId);
    draft.usernameSource = source;
    draft.touched = true;
  }

  #hold(name: string, draft: AccountDraft, reason: HoldWrite["reason"]): void {
    const holdActive = this.#options.holdDays > 0;
    this.#names.set(name, { owner: null, holder: draft.accountId, holdActive });
    this.#holdWrites.set(name, { username: name, accountId: draft.accountId, reason });
  }

  /** Frees a tombstone's name: it was never anyone's, so it is not held. */
  #release(name: string): void {
    this.#names.set(name, FREE);
  }

  #report(
    draft: AccountDraft,
    change: AccountChange,
    tier: UsernameTier | null,
    decision: ReportRow["decision"],
    reasons: ReasonCode[],
    resembles: string | null = null,
  ): void {
    this.#reports.push({
      legacyId: draft.legacyId,
      rawValue: escapeReportValue(change.username),
      tier,
      decision,
      reasons: change.displayNameReasons
        ? sortReasons([...reasons, ...change.displayNameReasons])
        : reasons,
      username: draft.username,
      sourceLsn: change.lsn,
      resembles,
    });
  }
}

/** The protected name a refused candidate resembled, if that is why. */
function resemblesOf(candidate: UsernameCandidate): string | null {
  return candidate.kind === "none" ? candidate.resembles ?? null : null;
}

/** Whether `draft` differs from `stored` in mirrored values only: a narrower write suffices. */
function onlyMirrored(draft: AccountDraft, stored: StoredAccount | undefined): boolean {
  return stored !== undefined && draft.username === stored.username &&
    draft.usernameSkeleton === stored.usernameSkeleton &&
    draft.usernameSource === stored.usernameSource && draft.status === stored.status &&
    draft.legacyUsername === stored.legacyUsername;
}

/** Copies the values a change sent; `undefined` (unchanged TOAST) never overwrites. */
function mirror(draft: AccountDraft, change: AccountChange): void {
  if (change.displayName !== undefined) draft.displayName = change.displayName;
  if (change.createdAt !== undefined) draft.legacyCreatedAt = change.createdAt;
  draft.sourceLsn = change.lsn;
  draft.touched = true;
}

/**
 * The tombstone name drawn for the delete at `index` on `attempt`, kept in `draws` so that every
 * round of planning (and the look-up pass, which draws the first one) sees the same name.
 */
export function tombstoneDraw(
  draws: Map<string, string>,
  index: number,
  attempt: number,
  random: RandomSource,
): string {
  const key = `${index}:deleted:${attempt}`;
  let name = draws.get(key);
  if (name === undefined) {
    name = tombstoneUsername(random);
    draws.set(key, name);
  }
  return name;
}
