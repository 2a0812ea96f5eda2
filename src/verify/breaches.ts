/**
 * The invariant breaches `verify` counts, and a tally that keeps a few example ids of each.
 *
 * @module
 */

/** Every breach kind, in the order the report lists them. */
export const BREACH_KINDS = [
  "legacy_row_without_account",
  "legacy_row_with_several_accounts",
  "active_account_without_legacy_row",
  "tombstone_with_legacy_row",
  "invalid_username",
  "duplicate_username",
  "malformed_public_id",
  "duplicate_public_id",
  "missing_report_row",
  "duplicate_report_row",
  "duplicate_hold",
  "held_username_in_use",
  "immutability_trigger_missing",
] as const;

/** One kind of invariant breach. */
export type BreachKind = (typeof BREACH_KINDS)[number];

/** How many example ids the report keeps per breach kind. */
export const EXAMPLES_PER_KIND = 5;

/** Counts breaches by kind and keeps the first few example ids of each. */
export class BreachTally {
  readonly #counts = new Map<BreachKind, number>(BREACH_KINDS.map((kind) => [kind, 0]));
  readonly #examples = new Map<BreachKind, string[]>(BREACH_KINDS.map((kind) => [kind, []]));

  /** Records one breach of `kind`, identified by `example` (a legacy id, a public id, a name). */
  add(kind: BreachKind, example: string): void {
    this.addMany(kind, 1, [example]);
  }

  /** Records `count` breaches of `kind`, with some of their example ids. */
  addMany(kind: BreachKind, count: number, examples: readonly string[]): void {
    this.#counts.set(kind, this.#counts.get(kind)! + count);
    const kept = this.#examples.get(kind)!;
    for (const example of examples) {
      if (kept.length >= EXAMPLES_PER_KIND) break;
      kept.push(example);
    }
  }

  /** The number of breaches of every kind together. */
  get total(): number {
    let total = 0;
    for (const count of this.#counts.values()) total += count;
    return total;
  }

  /** The count of every kind, zeros included. */
  counts(): Record<BreachKind, number> {
    return Object.fromEntries(this.#counts) as Record<BreachKind, number>;
  }

  /** The example ids of every kind, empty lists included. */
  examples(): Record<BreachKind, string[]> {
    return Object.fromEntries(
      [...this.#examples].map(([kind, ids]) => [kind, [...ids]]),
    ) as Record<BreachKind, string[]>;
  }
}
