/**
 * The one pass's fallbacks, drawn for a batch of staged accounts that do not win their candidate:
 * pure, so that the snapshot's worker threads draw them as well as its main thread.
 */
import { type RandomSource, type ReasonCode, usernameSkeleton } from "../policy/mod.ts";
import { SHORT_SUFFIX_ATTEMPTS } from "../policy/fallback_username.ts";
import { sortReasons } from "../policy/reason_codes.ts";
import { drawDistinct } from "../apply/assign_fallbacks.ts";

/**
 * A base with more fallbacks to draw than this starts at the wider suffix: `base_NNNN` has
 * 10,000 names, and k draws among them collide about k² / 20,000 times.
 */
export const WIDE_SUFFIX_FROM = 1_000;

/** A staged account that does not win its candidate (or has none), as the draw reads it. */
export interface Loser {
  legacy_id: string;
  base: string | null;
  reasons: ReasonCode[];
  /** Whether it had a candidate, which an older claim won. */
  lost: boolean;
  /** How many accounts with its base draw a fallback. */
  base_losers: string;
}

/** A drawn fallback: legacy id, username, its skeleton, the account's reasons. */
export type DrawnFallback = [string, string, string, ReasonCode[]];

/**
 * Draws a fallback for each of `losers`, never the same name twice in the batch (they would
 * collide for nothing), at the wider suffix for a popular base. Its reasons are the ones the
 * fallback pass gives: the account's own, and TAKEN_BY_OLDER when it had a candidate.
 */
export function drawFallbacks(
  losers: readonly Loser[],
  random: RandomSource,
): DrawnFallback[] {
  const names = new Set<string>();
  return losers.map((loser) => {
    const attempt = Number(loser.base_losers) > WIDE_SUFFIX_FROM ? SHORT_SUFFIX_ATTEMPTS : 0;
    const name = drawDistinct(names, loser.base, attempt, random);
    const reasons = loser.lost ? sortReasons([...loser.reasons, "TAKEN_BY_OLDER"]) : loser.reasons;
    return [loser.legacy_id, name, usernameSkeleton(name), reasons];
  });
}

/** Where the one pass draws a batch's fallbacks: on this thread, or shared among several. */
export interface FallbackDrawer {
  draw(losers: Loser[]): Promise<DrawnFallback[]>;
}

/** Draws on the calling thread, from `random`. */
export function drawingHere(random: RandomSource): FallbackDrawer {
  return { draw: (losers) => Promise.resolve(drawFallbacks(losers, random)) };
}
