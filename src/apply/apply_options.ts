/** What applying changes needs, and what it reports. */
import type pg from "../db/pg.ts";
import type { Ahead } from "./mirror_in_place.ts";
import type { ProtectedNames, RandomSource } from "../policy/mod.ts";

/** Options of `applyChanges` and `retryDeadLetters`. */
export interface ApplyOptions {
  /** Randomness for public IDs and fallback names: the CSPRNG in production. */
  random: RandomSource;
  /** Skeletons of protected names; look-alikes get no candidate. */
  protectedNames: ProtectedNames;
  /** Days a released name (renamed or deleted account) stays on hold. */
  holdDays: number;
  /**
   * Commit LSN of a source transaction that an earlier batch applied in part (it was bigger
   * than a batch): its changes also apply to accounts already at that LSN. The caller skips
   * the changes that batch applied.
   */
  continuing?: string;
  /**
   * Other connections to the identity database, outside any transaction, that mirror the shares
   * of a large batch in place, each in a transaction of its own committed at once (see
   * `mirrorInPlace`).
   */
  partitions?: readonly pg.ClientBase[];
  /**
   * The caller opened the transaction with `beginApplying`: it holds the apply lock and the
   * planner settings already, and the batch starts without a round trip of its own.
   */
  begun?: boolean;
  /** What `applyAhead` mirrored of this batch before its transaction began. */
  ahead?: Ahead;
  /**
   * Told, once the mirror is done, of the legacy ids whose changes the plan writes (a changed or
   * re-keyed account's old id included): the next batch may mirror ahead every other account.
   */
  onPlanned?: (legacyIds: ReadonlySet<string>) => void;
}

/** What became of one account change. */
export type ChangeOutcome =
  | "inserted"
  | "reactivated"
  | "rekeyed"
  | "renamed"
  | "renameRefused"
  | "mirrored"
  | "deleted"
  | "skipped";

/** Changes of a call by outcome; every change counts exactly once. */
export interface ApplyStats extends Record<ChangeOutcome, number> {
  /** New accounts. */
  inserted: number;
  /** Tombstones of a re-inserted legacy id, active again with their public ID. */
  reactivated: number;
  /** Legacy primary-key changes: the account moved to the new key (and took the rest of the change). */
  rekeyed: number;
  /** Legacy renames that moved the account to its new candidate. */
  renamed: number;
  /** Legacy renames whose candidate was taken, held or missing: the name was kept. */
  renameRefused: number;
  /** Other updates: display name, creation time, a legacy rename to the same handle. */
  mirrored: number;
  /** Accounts tombstoned. */
  deleted: number;
  /** Already applied (at or below the account's LSN), or a delete of no active account. */
  skipped: number;
  /** Truncates of the legacy table, each recorded as a dead letter. */
  truncates: number;
  /** Changes that failed and were recorded as dead letters. */
  deadLettered: number;
}

/** Stats with every count at zero. */
export function emptyStats(): ApplyStats {
  return {
    inserted: 0,
    reactivated: 0,
    rekeyed: 0,
    renamed: 0,
    renameRefused: 0,
    mirrored: 0,
    deleted: 0,
    skipped: 0,
    truncates: 0,
    deadLettered: 0,
  };
}
