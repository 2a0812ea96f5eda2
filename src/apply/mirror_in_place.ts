/**
 * The stream's common case, decided by the database in the write itself: an update of a legacy
 * user that keeps its username (a display name, a creation time) only mirrors columns. One
 * UPDATE applies every such change of a batch where the account is active, the change passes the
 * LSN guard and the stored legacy username is the one the change carries; whatever it does not
 * apply (a rename, a new or tombstoned account, a replay) goes through the full plan.
 */
import { type ArrayElement, arrayLiteral } from "../db/array_literal.ts";
import type pg from "../db/pg.ts";
import type { AccountChange } from "./account_change.ts";
import { isDataError } from "./isolate_poison.ts";
import { BY_KEY_SETTINGS } from "./look_up_by_key.ts";
import { inlineParameters } from "../db/sql_literal.ts";
import { escapeReportValue } from "./report_value.ts";

/**
 * Which stored accounts a change may mirror into: active, not past the change (the LSN guard; a
 * transaction split over batches passes at its own LSN, `$9`), and still under the legacy
 * username the change carries (otherwise it is a rename, the plan's business).
 */
const GUARD = `a.status = 'active'
  and (a.source_lsn is null or a.source_lsn < u.source_lsn
       or (a.source_lsn = u.source_lsn and u.source_lsn = $9::pg_lsn))
  and (not u.sent_username or a.legacy_username is not distinct from u.legacy_username)`;

/** The statement's eight parameters of the changes at `tried`, as array literals, in one pass. */
function parametersOf(changes: readonly AccountChange[], tried: readonly number[]): string[] {
  const columns: ArrayElement[][] = Array.from({ length: 8 }, () => new Array(tried.length));
  for (let i = 0; i < tried.length; i++) {
    const c = changes[tried[i]!]!;
    columns[0]![i] = c.legacyId;
    columns[1]![i] = c.displayName ?? null;
    columns[2]![i] = c.displayName !== undefined;
    columns[3]![i] = c.createdAt ?? null;
    columns[4]![i] = c.createdAt !== undefined;
    columns[5]![i] = escapeReportValue(c.username);
    columns[6]![i] = c.username !== undefined;
    columns[7]![i] = c.lsn;
  }
  return columns.map(arrayLiteral);
}

/**
 * The mirror, one probe per change: each is joined to its account once, judged there, and only
 * the ones whose mapped values differ are written (found again by their row's address, not the
 * index). A change whose mapped values equal the stored ones (most legacy updates touch columns the
 * service does not map) is applied without writing: its account's stored `source_lsn` still
 * refuses every older replay, since no change to the account lies between the two. What comes
 * back is what the statement left to the plan: few rows, or none. (`not in` is a hashed subplan:
 * hash joins are off in the apply, and an anti-join would loop over `written`.) Its parameters
 * are {@linkcode parametersOf} and `continuing`.
 */
const MIRROR = `with u as materialized (
       select u.*, a.ctid as row_address, (${GUARD}) as passes,
              (u.sent_display_name and a.display_name is distinct from u.display_name)
              or (u.sent_created_at and a.legacy_created_at is distinct from u.legacy_created_at)
                as differs
       from unnest($1::text[], $2::text[], $3::bool[], $4::timestamptz[], $5::bool[],
                   $6::text[], $7::bool[], $8::pg_lsn[])
         as u(legacy_id, display_name, sent_display_name, legacy_created_at, sent_created_at,
              legacy_username, sent_username, source_lsn)
       left join identity.accounts a on a.legacy_id = u.legacy_id
     ),
     written as (
       update identity.accounts as a
       set display_name = case when u.sent_display_name then u.display_name
                               else a.display_name end,
           legacy_created_at = case when u.sent_created_at then u.legacy_created_at
                                    else a.legacy_created_at end,
           source_lsn = u.source_lsn, updated_at = now()
       from u
       where u.passes and u.differs and a.ctid = u.row_address and a.legacy_id = u.legacy_id
         and ${GUARD}
       returning a.legacy_id
     )
     select u.legacy_id from u
     where not coalesce(u.passes, false)
        or (u.differs and u.legacy_id not in (select w.legacy_id from written w))`;

/**
 * Below this many changes a batch's mirror runs on one connection: a partition's own transaction
 * costs round trips that a small batch (the steady stream's) would wait for.
 */
export const PARTITION_MIN_CHANGES = 1_000;

/**
 * Rounds of a shared batch: each takes every third change, and its shares commit before the next
 * round starts. Rows next to each other in the legacy table mostly lie next to each other in
 * `identity.accounts` (the snapshot loads them in key order), and a large legacy update (a
 * backfill, a burst) changes them in that order. One transaction that updates all of a page's
 * thirty-odd accounts finds room (fillfactor 70) for about a third of the new versions; the others
 * are not HOT and add an entry to each of the five indexes. A round's transactions commit before
 * the next round's reach the page, so those prune the old versions and find room again. (Only
 * while no older transaction is open: the batch's own takes no transaction ID before its shares,
 * see `holdCheckpoint`.)
 */
export const SHARED_ROUNDS = 3;

/** Where and how {@linkcode mirrorInPlace} mirrors. */
export interface MirrorOptions {
  /** As in the apply options: changes of that LSN also pass at their account's LSN. */
  continuing?: string;
  /**
   * Other connections, outside any transaction, that share a large batch by legacy id (disjoint
   * accounts, so they never wait for each other), in {@linkcode SHARED_ROUNDS} rounds, each share
   * in a transaction of its own, committed at once.
   */
  partitions?: readonly pg.ClientBase[];
  /** What {@linkcode mirrorAhead} did with this batch: its changes are not tried again. */
  ahead?: Ahead;
}

/** The changes {@linkcode mirrorAhead} tried, by legacy id, and those it mirrored. */
export interface Ahead {
  tried: ReadonlySet<string>;
  mirrored: ReadonlySet<string>;
}

/**
 * Mirrors in place, inside the open transaction on `client`, the changes of `changes` it can;
 * returns their indexes. Only upserts whose legacy id appears once in `changes`, and that re-key
 * nothing, are tried (the order of several changes to one account is the plan's business). A
 * change the statement cannot take (a value the database refuses) leaves every change of its
 * partition to the full plan, which isolates it.
 *
 * With partitions, the transaction on `client` takes no share: it holds no lock on the accounts
 * while they run. (If it did, a session asking for a strong lock on the accounts between two
 * shares would wait for it, the next share for that session, and `client`'s transaction, here,
 * for the share: a cycle through this process that PostgreSQL cannot see or break.) A share
 * committed before the batch's own transaction fails stays: the batch comes again and the LSN
 * guard skips what it wrote.
 */
export async function mirrorInPlace(
  client: pg.ClientBase,
  changes: readonly AccountChange[],
  options: MirrorOptions = {},
): Promise<Set<number>> {
  const { continuing, partitions = [], ahead } = options;
  const mirrored = new Set<number>();
  const tried = triedOf(changes).filter((index) => {
    const { legacyId } = changes[index]!;
    if (!ahead?.tried.has(legacyId)) return true;
    // Mirrored, or left to the plan.
    if (ahead.mirrored.has(legacyId)) mirrored.add(index);
    return false;
  });
  if (tried.length === 0) return mirrored;
  if (tried.length < PARTITION_MIN_CHANGES || partitions.length === 0) {
    for (const index of await mirrorShare(client, changes, tried, continuing)) mirrored.add(index);
    return mirrored;
  }
  for (const index of await mirrorShared(changes, tried, continuing, partitions)) {
    mirrored.add(index);
  }
  return mirrored;
}

/**
 * Mirrors the shares of a large batch before its own transaction begins, while the batch before
 * it, still holding the apply lock, writes its plan on its own connection: only on `partitions`,
 * leaving alone every account in `leave` (the accounts that batch's plan writes, whose changes
 * here must come after it). Returns what it did, for `mirrorInPlace`'s `ahead`; nothing when the
 * batch is too small to share.
 */
export async function mirrorAhead(
  changes: readonly AccountChange[],
  options: {
    continuing?: string;
    partitions: readonly pg.ClientBase[];
    leave: ReadonlySet<string>;
  },
): Promise<Ahead> {
  const { continuing, partitions, leave } = options;
  const tried = triedOf(changes).filter((index) => !leave.has(changes[index]!.legacyId));
  if (tried.length < PARTITION_MIN_CHANGES || partitions.length === 0) {
    return { tried: new Set(), mirrored: new Set() };
  }
  const mirrored = await mirrorShared(changes, tried, continuing, partitions);
  const idOf = (index: number) => changes[index]!.legacyId;
  return { tried: new Set(tried.map(idOf)), mirrored: new Set([...mirrored].map(idOf)) };
}

/**
 * The indexes of the changes the mirror may take: upserts that re-key nothing, whose legacy id
 * appears once in `changes`.
 */
function triedOf(changes: readonly AccountChange[]): number[] {
  const seen = new Map<string, number>();
  const see = (legacyId: string) => seen.set(legacyId, (seen.get(legacyId) ?? 0) + 1);
  for (const change of changes) {
    see(change.legacyId);
    if (change.previousLegacyId !== undefined) see(change.previousLegacyId);
  }
  const tried: number[] = [];
  for (let index = 0; index < changes.length; index++) {
    const change = changes[index]!;
    if (
      change.kind === "upsert" && change.previousLegacyId === undefined &&
      seen.get(change.legacyId) === 1
    ) tried.push(index);
  }
  return tried;
}

/** The changes at `tried` mirrored on `partitions`, in rounds; returns the indexes applied. */
async function mirrorShared(
  changes: readonly AccountChange[],
  tried: readonly number[],
  continuing: string | undefined,
  partitions: readonly pg.ClientBase[],
): Promise<Set<number>> {
  const mirrored = new Set<number>();
  for (let round = 0; round < SHARED_ROUNDS; round++) {
    const shares = partitions.map((): number[] => []);
    for (let k = round; k < tried.length; k += SHARED_ROUNDS) {
      const index = tried[k]!;
      shares[partitionOf(changes[index]!.legacyId, partitions.length)]!.push(index);
    }
    // Every share ends before this returns, a failed one too: nothing runs on a connection that
    // the caller then rolls back.
    const settled = await Promise.allSettled(
      shares.map((share, i) => mirrorShareAlone(partitions[i]!, changes, share, continuing)),
    );
    for (const result of settled) {
      if (result.status === "rejected") throw result.reason;
      for (const index of result.value) mirrored.add(index);
    }
  }
  return mirrored;
}

/** The partition of `legacyId` among `count`: a cheap string hash, the same in every batch. */
function partitionOf(legacyId: string, count: number): number {
  if (count === 1) return 0;
  let hash = 0;
  for (let i = 0; i < legacyId.length; i++) hash = (hash * 31 + legacyId.charCodeAt(i)) | 0;
  return (hash >>> 0) % count;
}

/**
 * {@linkcode MIRROR} in a transaction of its own on `client`, committed at once: one round trip
 * in the simple protocol, its values written into the text (every round trip waits behind the next
 * batch's decoding on this process's one thread). A value the database refuses rolls the share
 * back: all of it is left to the plan.
 *
 * The share commits asynchronously: it does not wait for its WAL to reach the disk. Nothing is
 * acknowledged on its account: the batch's own transaction commits after it, synchronously, and
 * flushing that commit flushes the WAL before it, the shares' included, before the slot is
 * acknowledged. A crash before then loses at most what the batch, coming again, applies again.
 */
async function mirrorShareAlone(
  client: pg.ClientBase,
  changes: readonly AccountChange[],
  tried: readonly number[],
  continuing: string | undefined,
): Promise<number[]> {
  if (tried.length === 0) return [];
  const statement = inlineParameters(MIRROR, [
    ...parametersOf(changes, tried),
    continuing ?? null,
  ]);
  try {
    const results = await client.query(
      `begin; set local synchronous_commit = off; select ${BY_KEY_SETTINGS}; ${statement}; commit`,
    ) as unknown as pg.QueryResult<{ legacy_id: string }>[];
    return notLeft(changes, tried, results[3]!.rows);
  } catch (error) {
    await client.query("rollback").catch(() => {});
    if (isDataError(error)) return [];
    throw error;
  }
}

/**
 * {@linkcode MIRROR} inside the open transaction on `client`, under a savepoint: a value the
 * database refuses leaves all of them to the plan. Returns the indexes it applied.
 */
async function mirrorShare(
  client: pg.ClientBase,
  changes: readonly AccountChange[],
  tried: readonly number[],
  continuing: string | undefined,
): Promise<number[]> {
  if (tried.length === 0) return [];
  await client.query("savepoint mirror_in_place");
  try {
    const { rows } = await client.query<{ legacy_id: string }>(MIRROR, [
      ...parametersOf(changes, tried),
      continuing ?? null,
    ]);
    await client.query("release savepoint mirror_in_place");
    return notLeft(changes, tried, rows);
  } catch (error) {
    if (!isDataError(error)) throw error;
    await client.query("rollback to savepoint mirror_in_place");
    return [];
  }
}

/** The indexes of `tried` whose legacy id is not among the rows the statement left to the plan. */
function notLeft(
  changes: readonly AccountChange[],
  tried: readonly number[],
  left: readonly { legacy_id: string }[],
): number[] {
  const ids = new Set(left.map((row) => row.legacy_id));
  return tried.filter((index) => !ids.has(changes[index]!.legacyId));
}
