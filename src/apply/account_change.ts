/**
 * The one change type both stages produce: a snapshot row and a replicated
 * change become an `AccountChange`, judged by the same policy and written by
 * the same apply code.
 */
import { type ReasonCode, sanitizeDisplayName } from "../policy/mod.ts";
import { legacyInstant } from "../legacy/legacy_created_at.ts";

/** A legacy account as it is after a change. */
export interface AccountChange {
  /** `upsert`: the legacy row exists with these values; `delete`: it is gone. */
  kind: "upsert" | "delete";
  /** The legacy primary key, as text. */
  legacyId: string;
  /**
   * The key the row had before this change, when the change moved it (an upsert decoded from an
   * `update … set id = …`): the same person under a new key, whose account is re-keyed.
   */
  previousLegacyId?: string;
  /** The legacy key as a number when the key is an integer, for "the smaller id wins". */
  legacyInt: string | null;
  /** The legacy username; `undefined` when unchanged and not sent (TOAST). */
  username: string | null | undefined;
  /**
   * When the legacy account was created: text PostgreSQL parses as a timestamptz, the same
   * instant in any session (its offset or zone written out; see `legacyInstant`).
   */
  createdAt: string | null | undefined;
  /** The legacy display name, cleaned and cut; `undefined` when unchanged and not sent. */
  displayName: string | null | undefined;
  /** What cleaning the display name did (`DISPLAY_NAME_CLEANED`, `…_TRUNCATED`), for the report. */
  displayNameReasons?: ReasonCode[];
  /** Commit LSN of the change, or the consistent point of the snapshot that read it. */
  lsn: string;
}

/** A legacy row's mapped values as read (snapshot) or decoded (stream), display name still raw. */
export type LegacyValues = Pick<
  AccountChange,
  "legacyId" | "legacyInt" | "username" | "createdAt" | "displayName"
>;

/**
 * The upsert that says a legacy row exists with `values` at `lsn`: where both stages turn a legacy
 * row into a change, so its display name is cleaned and cut here, once, for every path, and its
 * creation time read in `createdAtZone` when the legacy column has no zone (null: it has one).
 */
export function legacyUpsertChange(
  values: LegacyValues,
  lsn: string,
  options: { createdAtZone: string | null },
): AccountChange {
  const change: AccountChange = {
    kind: "upsert",
    legacyId: values.legacyId,
    legacyInt: values.legacyInt,
    username: values.username,
    createdAt: legacyInstant(values.createdAt, options.createdAtZone),
    displayName: values.displayName,
    lsn,
  };
  if (typeof values.displayName === "string") {
    const { text, reasons } = sanitizeDisplayName(values.displayName);
    change.displayName = text;
    if (reasons.length > 0) change.displayNameReasons = reasons;
  }
  return change;
}
