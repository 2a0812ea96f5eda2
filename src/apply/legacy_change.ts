/** What the stream hands the apply: account changes, and truncates, which are never applied. */
import type { AccountChange } from "./account_change.ts";

/** A truncate of the legacy table: recorded as a dead letter, never turned into deletes. */
export interface TruncateChange {
  kind: "truncate";
  /** Commit LSN of the truncating transaction. */
  lsn: string;
}

/** One change of a legacy transaction, as the stream decodes it. */
export type LegacyChange = AccountChange | TruncateChange;
