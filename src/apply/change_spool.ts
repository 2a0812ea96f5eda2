/**
 * The spool of large legacy transactions streamed while in progress (`identity.stream_spool`):
 * their changes are written as they arrive, by COPY in batches on a connection of their own, and
 * read back once the transaction commits. A rolled-back transaction is deleted; a rolled-back
 * subtransaction's changes are remembered and passed over (deleting them one subtransaction at a
 * time would scan the whole transaction's rows each time).
 */
import { copyRows, type CopyValue } from "../db/copy_rows.ts";
import type pg from "../db/pg.ts";
import type { ReasonCode } from "../policy/mod.ts";
import type { AccountChange } from "./account_change.ts";
import type { LegacyChange } from "./legacy_change.ts";
import { escapeReportValue } from "./report_value.ts";
import { RepeatedIds } from "./repeated_ids.ts";

/** Changes a COPY writes. */
const COPY_BATCH = 5_000;

const COLUMNS = `identity.stream_spool (slot_name, session_id, xid, sub_xid, seq, kind, legacy_id,
  previous_legacy_id, legacy_int, username, username_sent, legacy_username, created_at,
  created_at_sent, display_name, display_name_sent, display_name_reasons, repeated)`;

/**
 * The spooled changes of one streaming session of a slot, written on `client`, which nothing else
 * uses meanwhile. Its rows carry its own `session`: a daemon that lost the slot, or one that is
 * only starting, never reads or deletes them.
 */
export class ChangeSpool {
  readonly #client: pg.ClientBase;
  readonly #slotName: string;
  /** This session's rows. */
  readonly session: string = crypto.randomUUID();
  /** Each open streamed transaction, by its xid. */
  readonly #open = new Map<number, OpenTransaction>();
  #rows: CopyValue[][] = [];
  #writing: Promise<void> = Promise.resolve();

  constructor(client: pg.ClientBase, slotName: string) {
    this.#client = client;
    this.#slotName = slotName;
  }

  /**
   * Deletes what the slot's other sessions spooled, once the slot is this session's: what they did
   * not apply, the server streams again.
   */
  async purgeOthers(): Promise<void> {
    await this.#client.query(
      "delete from identity.stream_spool where slot_name = $1 and session_id <> $2",
      [this.#slotName, this.session],
    );
  }

  /**
   * Spools `change` of transaction `xid`, made by its subtransaction `subXid`, marked repeated when
   * a legacy id it carries may have been carried by an earlier change of `xid` (the earlier one is
   * marked at the commit, see `markRepeated`).
   */
  async add(xid: number, subXid: number, change: LegacyChange): Promise<void> {
    const open = this.#openOf(xid);
    const seq = open.next++;
    const repeated = change.kind !== "truncate" &&
      open.ids.note(change.legacyId, change.previousLegacyId);
    this.#rows.push([
      this.#slotName,
      this.session,
      xid,
      subXid,
      seq,
      ...valuesOf(change),
      repeated ? "t" : "f",
    ]);
    if (this.#rows.length >= COPY_BATCH) await this.#write();
  }

  /** Writes what is buffered, and waits for every write to end. */
  async flush(): Promise<void> {
    await this.#write();
    await this.#writing;
  }

  /**
   * Forgets the changes of subtransaction `subXid` of `xid`, or deletes all of `xid` when `subXid`
   * is `xid`.
   */
  async discard(xid: number, subXid: number): Promise<void> {
    if (subXid !== xid) {
      this.#openOf(xid).aborted.add(subXid);
      return;
    }
    await this.flush();
    this.drop(xid);
    await this.#writing;
  }

  /** The spooled transaction `xid`, committed at `lsn`, as the statements that read it take it. */
  transaction(xid: number, lsn: string): SpooledTransaction {
    const open = this.#open.get(xid);
    const aborted = [...open?.aborted ?? []];
    const repeatedIds = open ? open.ids.ids : [];
    return { slotName: this.#slotName, session: this.session, xid, aborted, lsn, repeatedIds };
  }

  /**
   * Deletes the changes of `xid`, flushed (applied, or rolled back), in the background, so the
   * stream goes on meanwhile (at 1M changes the delete takes about a second): the spool's next
   * write, flush or discard waits for it, and fails if it failed. Cut short by the session's end,
   * it leaves rows the next session purges.
   */
  drop(xid: number): void {
    this.#open.delete(xid);
    const deleting = this.#writing.then(async () => {
      await this.#client.query(
        "delete from identity.stream_spool where slot_name = $1 and session_id = $2 and xid = $3",
        [this.#slotName, this.session, xid],
      );
    });
    this.#writing = deleting;
    deleting.catch(() => {});
  }

  /** Waits for the writes and deletes under way to end, failed or not. */
  async settled(): Promise<void> {
    await this.#writing.catch(() => {});
  }

  /** The open streamed transaction `xid`, begun now if it is new. */
  #openOf(xid: number): OpenTransaction {
    let open = this.#open.get(xid);
    if (open === undefined) {
      open = { next: 0, aborted: new Set(), ids: new RepeatedIds() };
      this.#open.set(xid, open);
    }
    return open;
  }

  /** Starts a COPY of what is buffered once the one before has ended (at most one runs). */
  async #write(): Promise<void> {
    if (this.#rows.length === 0) return;
    const rows = this.#rows;
    this.#rows = [];
    await this.#writing;
    this.#writing = copyRows(this.#client, COLUMNS, rows);
    // A failed COPY fails the next add, flush or discard that waits for it.
    this.#writing.catch(() => {});
  }
}

/** What the spool keeps of an open streamed transaction until it is applied or rolled back. */
interface OpenTransaction {
  /** The `seq` of its next change. */
  next: number;
  /** Its rolled-back subtransactions. */
  aborted: Set<number>;
  /** The legacy ids it has changed so far. */
  ids: RepeatedIds;
}

/** The spool's columns after `seq` for `change`. */
function valuesOf(change: LegacyChange): CopyValue[] {
  if (change.kind === "truncate") {
    return ["truncate", null, null, null, null, "f", null, null, "f", null, "f", null];
  }
  const sent = (value: string | null | undefined) => value === undefined ? "f" : "t";
  return [
    change.kind,
    change.legacyId,
    change.previousLegacyId ?? null,
    change.legacyInt,
    change.username ?? null,
    sent(change.username),
    escapeReportValue(change.username),
    change.createdAt ?? null,
    sent(change.createdAt),
    change.displayName ?? null,
    sent(change.displayName),
    change.displayNameReasons ?? null,
  ];
}

/**
 * The most changes the mirror may leave for {@linkcode readSpooled} to pick out by `seq` (from a
 * hash table kept in memory); beyond, it reads them all.
 */
export const MAX_LEFT = 10_000;

/** A spooled row as read back. */
interface SpooledRow {
  kind: "upsert" | "delete" | "truncate";
  legacy_id: string | null;
  previous_legacy_id: string | null;
  legacy_int: string | null;
  username: string | null;
  username_sent: boolean;
  created_at: string | null;
  created_at_sent: boolean;
  display_name: string | null;
  display_name_sent: boolean;
  display_name_reasons: ReasonCode[] | null;
}

/** The change a spooled row holds, at the commit LSN `lsn` of its transaction. */
function changeOf(row: SpooledRow, lsn: string): LegacyChange {
  if (row.kind === "truncate") return { kind: "truncate", lsn };
  const change: AccountChange = {
    kind: row.kind,
    legacyId: row.legacy_id!,
    legacyInt: row.legacy_int,
    username: row.kind === "upsert" && row.username_sent ? row.username : undefined,
    createdAt: row.kind === "upsert" && row.created_at_sent ? row.created_at : undefined,
    displayName: row.kind === "upsert" && row.display_name_sent ? row.display_name : undefined,
    lsn,
  };
  if (row.previous_legacy_id !== null) change.previousLegacyId = row.previous_legacy_id;
  if (row.display_name_reasons !== null) change.displayNameReasons = row.display_name_reasons;
  return change;
}

/** A committed spooled transaction: whose rows, which of them count, and its commit LSN. */
export interface SpooledTransaction {
  slotName: string;
  /** The spool's session (`ChangeSpool.session`). */
  session: string;
  xid: number;
  /** Its rolled-back subtransactions, whose changes do not count. */
  aborted: readonly number[];
  /** Its commit LSN: every change's `lsn`. */
  lsn: string;
  /**
   * The legacy ids its changes may carry more than once (`RepeatedIds.ids`), each change after an
   * id's first already marked repeated; null: too many to tell.
   */
  repeatedIds: readonly string[] | null;
}

/**
 * The spool's rows (`s`) of {@linkcode ofTransaction}'s values: session `$2` of slot `$1`,
 * transaction `$3`, not of one of its rolled-back subtransactions (`$4`; `= any` of a constant is
 * a hash lookup, `<> all` is not before PostgreSQL 15).
 */
export const OF_TRANSACTION = `s.slot_name = $1 and s.session_id = $2::uuid and s.xid = $3
  and not (s.sub_xid = any($4::bigint[]))`;

/** The values of {@linkcode OF_TRANSACTION}'s `$1` to `$4` for `tx` (the aborted as given). */
export function ofTransaction<A>(
  tx: SpooledTransaction,
  aborted: A,
): [string, string, number, A] {
  return [tx.slotName, tx.session, tx.xid, aborted];
}

/** How many changes of `tx` count, and how many of those the in-place mirror tries. */
export async function countSpooled(
  client: pg.ClientBase,
  tx: SpooledTransaction,
): Promise<{ changes: number; tried: number }> {
  const { rows } = await client.query<{ changes: number; tried: number }>(
    `select count(*)::int as changes, count(*) filter (where ${mirrorTriesSql("s")})::int as tried
     from identity.stream_spool s where ${OF_TRANSACTION}`,
    ofTransaction(tx, tx.aborted),
  );
  return rows[0]!;
}

/** Which spooled changes of a transaction {@linkcode readSpooled} reads. */
export interface SpooledSelection extends SpooledTransaction {
  /** Changes to pass over first, in order: those an earlier session applied. */
  skip: number;
  /**
   * Only these, by `seq`, besides every change the in-place mirror does not try (see
   * `mirrorSpooled`); null: all of them. (More than {@linkcode MAX_LEFT} read all of them too: the
   * plan finds the others applied.)
   */
  left: readonly number[] | null;
  /** Changes a chunk holds. */
  chunk: number;
}

/**
 * The spooled changes of `selection.xid` in the order the transaction made them, in chunks, read
 * through a cursor in a read-only transaction of its own on `client`.
 */
export async function* readSpooled(
  client: pg.ClientBase,
  selection: SpooledSelection,
): AsyncGenerator<LegacyChange[]> {
  const { lsn, skip, chunk } = selection;
  const left = selection.left && selection.left.length <= MAX_LEFT ? selection.left : null;
  await client.query("begin isolation level repeatable read read only");
  let ended = false;
  try {
    await client.query(
      `declare spooled no scroll cursor for
       select kind, legacy_id, previous_legacy_id, legacy_int, username, username_sent,
              created_at, created_at_sent, display_name, display_name_sent, display_name_reasons
       from identity.stream_spool s
       where ${OF_TRANSACTION}
         and ($5::bigint[] is null or seq in (select unnest($5::bigint[]))
              or not ${mirrorTriesSql("s")})
       order by seq
       offset $6`,
      [...ofTransaction(selection, selection.aborted), left, skip],
    );
    while (true) {
      const { rows } = await client.query<SpooledRow>(`fetch ${chunk} from spooled`);
      if (rows.length === 0) break;
      yield rows.map((row) => changeOf(row, lsn));
    }
    await client.query("commit");
    ended = true;
  } finally {
    // Failed, or left early (the caller's loop failed): the cursor's transaction ends here too.
    if (!ended) await client.query("rollback").catch(() => {});
  }
}

/**
 * Whether the in-place mirror tries a spooled change (see `mirrorSpooled`): an upsert that re-keys
 * nothing, of a legacy id the transaction changes once. `row`: the spool's alias, if any.
 */
export function mirrorTriesSql(row?: string): string {
  const column = (name: string) => row ? `${row}.${name}` : name;
  return `(${column("kind")} = 'upsert' and ${column("previous_legacy_id")} is null
           and not ${column("repeated")})`;
}
