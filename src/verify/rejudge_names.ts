/**
 * Re-judges the names accounts already have by the current policy, without changing any: a
 * stricter policy never renames anyone silently, so an operator reads this list and decides.
 * Generated names and system names (`user_…`, `deleted_…`) are the system's own and not judged;
 * neither are tombstones.
 *
 * @module
 */

import type pg from "../db/pg.ts";
import {
  isSystemName,
  type ProtectedNames,
  type ReasonCode,
  validateUsername,
} from "../policy/mod.ts";
import { keysetBatches } from "./keyset_batches.ts";

/** An account whose name the current policy would refuse for a new claim. */
export interface RefusedName {
  public_id: string;
  username: string;
  username_source: string;
  reasons: ReasonCode[];
  /** The protected name it resembles, when that is a reason. */
  resembles: string | null;
}

/** What a re-judging walk saw. */
export interface RejudgeSummary {
  /** Active accounts with a name someone claimed or requested, judged by the policy. */
  judged: number;
  /** Of those, the names the current policy would refuse. */
  refused: number;
  /** Active accounts not judged because their name is a system name of another source. */
  systemNames: number;
}

interface AccountRow {
  account_id: string;
  public_id: string;
  username: string;
  username_source: string;
}

// Qualified, so that `order by` means the column and not the text alias of the same name.
const SELECT_CLAIMED =
  `select a.account_id::text as account_id, a.public_id, a.username, a.username_source
  from identity.accounts as a
  where a.status = 'active' and a.username_source <> 'generated'`;

/**
 * Walks the active, non-generated accounts in `account_id` order, `batchSize` at a time, and
 * calls `onRefused` for each whose name `validateUsername` refuses. Reads only.
 */
export async function rejudgeNames(
  client: pg.Client,
  options: {
    protectedNames: ProtectedNames;
    batchSize?: number;
    onRefused: (refused: RefusedName) => void;
  },
): Promise<RejudgeSummary> {
  const batches = keysetBatches<AccountRow>(client, {
    first: `${SELECT_CLAIMED} order by a.account_id limit $1`,
    next: `${SELECT_CLAIMED} and a.account_id > $1::bigint order by a.account_id limit $2`,
    key: (row) => row.account_id,
    batchSize: options.batchSize ?? 10_000,
  });
  const summary: RejudgeSummary = { judged: 0, refused: 0, systemNames: 0 };
  for await (const rows of batches) {
    for (const account of rows) {
      if (isSystemName(account.username)) {
        summary.systemNames++;
        continue;
      }
      summary.judged++;
      const verdict = validateUsername(account.username, {
        protectedNames: options.protectedNames,
      });
      if (verdict.valid) continue;
      summary.refused++;
      options.onRefused({
        public_id: account.public_id,
        username: account.username,
        username_source: account.username_source,
        reasons: verdict.reasons,
        resembles: verdict.resembles ?? null,
      });
    }
  }
  return summary;
}
