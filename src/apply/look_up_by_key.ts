/** The planner settings of every applying transaction. */

/**
 * Every statement of a batch finds its rows by key: a few thousand lookups in unique indexes. Left
 * to its costs the planner reads whole tables instead: it hashes every account for each batch (at
 * a few hundred thousand accounts, with statistics or without), and while the statistics still
 * say a growing table is small it loops over sequential scans (5,000 inserts took 6 s instead of
 * 0.4 s). Either makes a batch's cost grow with the table. Hash and merge joins and sequential
 * scans are off until the transaction ends: with an index, every lookup uses it.
 *
 * A select list, so that a statement the transaction runs anyway sets them in the same round trip.
 */
export const BY_KEY_SETTINGS = `set_config('enable_hashjoin', 'off', true),
  set_config('enable_mergejoin', 'off', true), set_config('enable_seqscan', 'off', true)`;
