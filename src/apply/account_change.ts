/**
 * The one change type both stages produce: a snapshot row and a replicated
 * change become an `AccountChange`, judged by the same policy and written by
 * the same apply code.
 */

/** A legacy account as it is after a change. */
export interface AccountChange {
  /** `upsert`: the legacy row exists with these values; `delete`: it is gone. */
  kind: "upsert" | "delete";
  /** The legacy primary key, as text. */
  legacyId: string;
  /** The legacy key as a number when the key is an integer, for "the smaller id wins". */
  legacyInt: string | null;
  /** The legacy username; `undefined` when unchanged and not sent (TOAST). */
  username: string | null | undefined;
  /** When the legacy account was created, as PostgreSQL prints a timestamptz (lossless). */
  createdAt: string | null | undefined;
  /** The legacy display name; `undefined` when unchanged and not sent. */
  displayName: string | null | undefined;
  /** Commit LSN of the change, or the consistent point of the snapshot that read it. */
  lsn: string;
}
