/**
 * The username a tombstone carries once its real name is on hold: valid (so `verify` accepts
 * it), never shown, and unique because the account id is. A live account that happens to hold
 * the same name only moves the tombstone to the next attempt.
 */

/** Attempts after which every variant is taken: a bug, not bad luck. */
export const TOMBSTONE_ATTEMPTS = 10;

/** `deleted_<account id>`, then `deleted_<account id>_<attempt>`; at most 29 characters. */
export function tombstoneUsername(accountId: string, attempt: number): string {
  if (!/^[1-9][0-9]{0,18}$/.test(accountId)) {
    throw new RangeError(`Cannot name a tombstone for account "${accountId}": not an account id`);
  }
  return attempt === 0 ? `deleted_${accountId}` : `deleted_${accountId}_${attempt}`;
}
