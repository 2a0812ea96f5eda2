/**
 * Whether a legacy id's accounts agree with its legacy row: a row that exists has an active
 * account, a row that is gone has none (a tombstone, or no account at all).
 *
 * @module
 */

/** The breaches of an account's status against the presence of its legacy row. */
export type LegacyStatusBreach =
  | "legacy_row_without_account"
  | "active_account_without_legacy_row"
  | "tombstone_with_legacy_row";

/**
 * The breach of a legacy id whose accounts have `statuses` (none: no account) while its legacy
 * row is `present` or not; null when they agree.
 */
export function legacyStatusBreach(
  statuses: readonly string[],
  present: boolean,
): LegacyStatusBreach | null {
  const active = statuses.includes("active");
  if (!present) return active ? "active_account_without_legacy_row" : null;
  if (statuses.length === 0) return "legacy_row_without_account";
  return active ? null : "tombstone_with_legacy_row";
}
