/**
 * Walks a table in key order, a batch at a time (`where key > $last order by key limit n`), with
 * the next batch already being read while the caller checks the current one.
 *
 * @module
 */

import type pg from "../db/pg.ts";

/** The two statements of a keyset walk and how to read a row's key. */
export interface KeysetQuery<Row> {
  /** The first batch; `$1` is the batch size. */
  first: string;
  /** Every later batch; `$1` is the last key seen, `$2` the batch size. */
  next: string;
  /** The key of `row`, as text, passed back as `$1` of `next`. */
  key: (row: Row) => string;
  batchSize: number;
}

/** Yields the rows of `query` in batches of at most `batchSize`, never the whole table at once. */
export async function* keysetBatches<Row extends pg.QueryResultRow>(
  client: pg.Client,
  query: KeysetQuery<Row>,
): AsyncGenerator<Row[]> {
  const read = async (last?: string): Promise<Row[]> => {
    const result = last === undefined
      ? await client.query<Row>(query.first, [query.batchSize])
      : await client.query<Row>(query.next, [last, query.batchSize]);
    return result.rows;
  };
  let pending = read();
  while (true) {
    const rows = await pending;
    if (rows.length === 0) return;
    const more = rows.length >= query.batchSize;
    if (more) {
      pending = read(query.key(rows[rows.length - 1]!));
      // Awaited on the next turn; this only keeps a walk stopped early from an unhandled rejection.
      pending.catch(() => {});
    }
    yield rows;
    if (!more) return;
  }
}
