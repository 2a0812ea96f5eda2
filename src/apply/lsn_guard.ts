/**
 * The apply's idempotency guard: a change applies only if its commit LSN is above the LSN its
 * account had before the call. Positions are compared as 64-bit integers, never as text.
 */
import { parseLsn } from "../db/lsn.ts";
import type { AccountChange } from "./account_change.ts";

/**
 * For each change, whether it passes the guard of `baseline` (each account's LSN before the
 * call, by legacy id; an account missing, or without an LSN, takes every change; a re-key is
 * judged by the accounts of both its keys). Changes at
 * `continuing` (a source transaction split over batches) also pass at their account's LSN.
 *
 * @throws {TypeError} when an LSN does not parse.
 */
export function passesGuard(
  changes: readonly AccountChange[],
  baseline: ReadonlyMap<string, string | null>,
  continuing?: string,
): boolean[] {
  // The changes of one transaction share their LSN: parse each text once.
  const positions = new Map<string, bigint>();
  const position = (lsn: string) => {
    let parsed = positions.get(lsn);
    if (parsed === undefined) {
      parsed = parseLsn(lsn);
      positions.set(lsn, parsed);
    }
    return parsed;
  };
  const split = continuing === undefined ? undefined : position(continuing);
  const passes = (at: bigint, legacyId: string) => {
    const before = baseline.get(legacyId);
    if (typeof before !== "string") return true;
    const last = position(before);
    return at > last || (at === last && at === split);
  };
  // A re-key must be new to the account it moves as well as to any account at its new key.
  return changes.map((change) => {
    const at = position(change.lsn);
    return passes(at, change.legacyId) &&
      (change.previousLegacyId === undefined || passes(at, change.previousLegacyId));
  });
}
