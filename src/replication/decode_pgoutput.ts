/**
 * Pgoutput messages → what the stream delivers (pure: no I/O). Only the legacy
 * table's changes pass; its columns are found by name in every Relation
 * message, so columns added or dropped beside the mapped ones change nothing.
 */
import type { Pgoutput } from "pg-logical-replication";
import type { DecodedMessage } from "./raw_text_pgoutput.ts";
import { type AccountChange, legacyUpsertChange } from "../apply/account_change.ts";
import type { Config } from "../config.ts";
import type { LegacyTable } from "../legacy/legacy_table.ts";
import type {
  CommittedTransaction,
  HeartbeatMessage,
  LegacyChange,
  SourceTransaction,
} from "./legacy_change.ts";
import { LegacyStreamError } from "../legacy/legacy_stream_error.ts";
import { formatLsn, parseLsn } from "../db/lsn.ts";

const RESNAPSHOT =
  "re-snapshot under a new slot: set SLOT_NAME and PUBLICATION_NAME to new names, run `deno task snapshot`, then `deno task sync`";

/** The prefix of the daemon's heartbeat messages (`pg_logical_emit_message(true, prefix, …)`). */
export const HEARTBEAT_PREFIX = "identity_sync_heartbeat";

/**
 * One step for the stream's handler, in the order the source committed them; a large
 * transaction streamed while in progress comes first as `spool` steps (its changes as they were
 * made, interleaved with other transactions, `lsn` still unknown; `spool-pause` where the server
 * stopped streaming it for a while), then `spool-commit` or a
 * `spool-abort` of it (`subXid` equal to `xid`) or of one of its subtransactions.
 */
export type StreamEvent =
  | { type: "begin"; tx: SourceTransaction }
  | { type: "change"; change: LegacyChange }
  | { type: "commit"; tx: CommittedTransaction }
  | { type: "heartbeat"; message: HeartbeatMessage }
  | { type: "spool"; xid: number; subXid: number; change: LegacyChange }
  | { type: "spool-pause" }
  | { type: "spool-abort"; xid: number; subXid: number }
  | { type: "spool-commit"; tx: CommittedTransaction };

/** The `lsn` of a streamed change until its transaction commits. */
const UNKNOWN_LSN = "0/0";

/** What the decoder needs to know of the legacy table. */
export interface DecoderOptions {
  /** With its `oid` and `columnTypeOids` (as read at start-up), a replaced table or a changed column type stops the stream. */
  table:
    & Pick<LegacyTable, "name" | "schema" | "table" | "integerKey" | "createdAtZone">
    & Partial<Pick<LegacyTable, "oid" | "columnTypeOids">>;
  /** Raw (unquoted) column names. */
  columns: Config["legacyColumns"];
}

const SETTINGS = {
  id: "LEGACY_ID_COLUMN",
  username: "LEGACY_USERNAME_COLUMN",
  createdAt: "LEGACY_CREATED_AT_COLUMN",
  displayName: "LEGACY_DISPLAY_NAME_COLUMN",
} as const;

type Tuple = Record<string, unknown>;

/**
 * Turns the pgoutput messages of one replication session into stream events.
 * A transaction is announced (`begin`) only once it changes the legacy table,
 * so transactions of other tables, and empty ones, never reach the handler.
 * Values must be PostgreSQL's text (see `RawTextPgoutputPlugin`).
 */
export class PgoutputDecoder {
  readonly #options: DecoderOptions;
  /** Relation OID → whether it is the legacy table. */
  readonly #relations = new Map<number, boolean>();
  #tx: SourceTransaction | null = null;
  #begun = false;
  /** The streamed transaction whose stream block is open. */
  #stream: SourceTransaction | null = null;
  /** Streamed transactions that changed the legacy table, not yet committed or rolled back. */
  readonly #spooled = new Set<number>();

  constructor(options: DecoderOptions) {
    this.#options = options;
  }

  /** Whether a source transaction has begun and not yet committed, a streamed one included. */
  get inTransaction(): boolean {
    return this.#tx !== null || this.#stream !== null || this.#spooled.size > 0;
  }

  /** The events `message` makes, in order; throws a `LegacyStreamError` on a missing column. */
  decode(message: DecodedMessage): StreamEvent[] {
    switch (message.tag) {
      case "undecodable":
        throw new LegacyStreamError(
          "replication-failed",
          `Cannot decode a pgoutput message: ${(message.error as Error)?.message}`,
          { cause: message.error },
        );
      case "stream-start":
        this.#stream = {
          finalLsn: UNKNOWN_LSN,
          commitTime: new Date(0),
          xid: message.xid,
        };
        return [];
      case "stream-stop": {
        const spooled = this.#stream !== null && this.#spooled.has(this.#stream.xid);
        this.#stream = null;
        return spooled ? [{ type: "spool-pause" }] : [];
      }
      case "stream-abort":
        if (!this.#spooled.has(message.xid)) return [];
        if (message.subXid === message.xid) this.#spooled.delete(message.xid);
        return [{ type: "spool-abort", xid: message.xid, subXid: message.subXid }];
      case "stream-commit":
        if (!this.#spooled.delete(message.xid)) return [];
        return [{
          type: "spool-commit",
          tx: {
            finalLsn: lsnOf(message.commitLsn, "stream commit"),
            commitTime: dateOf(message.commitTime),
            xid: message.xid,
            endLsn: lsnOf(message.endLsn, "stream commit"),
          },
        }];
    }
    if (message.streamXid !== undefined) return this.#streamed(message, message.streamXid);
    return this.#decodeMessage(message);
  }

  #decodeMessage(message: Pgoutput.Message): StreamEvent[] {
    switch (message.tag) {
      case "begin":
        this.#tx = {
          finalLsn: lsnOf(message.commitLsn, "begin"),
          commitTime: dateOf(message.commitTime),
          xid: message.xid,
        };
        this.#begun = false;
        return [];
      case "relation":
        this.#relations.set(message.relationOid, this.#isLegacyTable(message));
        return [];
      case "insert":
        if (!this.#mine(message.relation)) return [];
        return this.#changes([this.#upsert(message.new)]);
      case "update":
        if (!this.#mine(message.relation)) return [];
        return this.#changes(this.#update(message));
      case "delete": {
        if (!this.#mine(message.relation)) return [];
        const id = this.#key(message.key ?? message.old ?? {});
        if (id === undefined) throw this.#noKey("delete");
        return this.#changes([this.#delete(id)]);
      }
      case "truncate":
        if (!message.relations.some((relation) => relation && this.#mine(relation))) return [];
        return this.#changes([{ kind: "truncate", lsn: this.#current().finalLsn }]);
      case "message":
        if (!message.transactional || message.prefix !== HEARTBEAT_PREFIX) return [];
        return [{
          type: "heartbeat",
          message: {
            lsn: message.messageLsn
              ? lsnOf(message.messageLsn, "message")
              : this.#current().finalLsn,
            content: new TextDecoder().decode(message.content),
            commitTime: this.#tx?.commitTime,
          },
        }];
      case "commit": {
        const tx = this.#tx;
        const begun = this.#begun;
        this.#tx = null;
        this.#begun = false;
        if (!tx || !begun) return [];
        return [{ type: "commit", tx: { ...tx, endLsn: lsnOf(message.commitEndLsn, "commit") } }];
      }
      default:
        return [];
    }
  }

  /** A message of an open stream block, made by the (sub)transaction `subXid`. */
  #streamed(message: Pgoutput.Message, subXid: number): StreamEvent[] {
    const stream = this.#stream;
    if (!stream) {
      throw new LegacyStreamError(
        "replication-failed",
        `Cannot decode changes of ${this.#options.table.name}: a streamed change arrived outside a stream block`,
      );
    }
    if (message.tag === "relation") return this.#decodeMessage(message);
    if (
      message.tag !== "insert" && message.tag !== "update" && message.tag !== "delete" &&
      message.tag !== "truncate"
    ) return [];
    // Decoded as if in a transaction of its own: the changes carry UNKNOWN_LSN.
    const tx = this.#tx;
    const begun = this.#begun;
    this.#tx = stream;
    try {
      this.#begun = true;
      const changes = this.#decodeMessage(message).flatMap((event) =>
        event.type === "change" ? [event.change] : []
      );
      if (changes.length > 0) this.#spooled.add(stream.xid);
      return changes.map((change) => ({ type: "spool", xid: stream.xid, subXid, change }));
    } finally {
      this.#tx = tx;
      this.#begun = begun;
    }
  }

  #isLegacyTable(relation: Pgoutput.MessageRelation): boolean {
    const { table, columns } = this.#options;
    if (relation.schema !== table.schema || relation.name !== table.table) return false;
    if (table.oid !== undefined && relation.relationOid !== table.oid) {
      throw new LegacyStreamError(
        "table-replaced",
        `Cannot decode changes of ${table.name}: it is another table now (relation ${relation.relationOid}, not ${table.oid}): it was dropped and created again, so its rows are not the ones the accounts mirror; ${RESNAPSHOT}`,
      );
    }
    const present = new Map(relation.columns.map((column) => [column.name, column.typeOid]));
    for (const [field, setting] of Object.entries(SETTINGS)) {
      const column = columns[field as keyof typeof SETTINGS];
      if (column === undefined) continue;
      if (!present.has(column)) {
        throw new LegacyStreamError(
          "column-missing",
          `Cannot decode changes of ${table.name}: it no longer has column "${column}" (${setting}); its replicated columns are ${
            [...present.keys()].join(", ")
          }`,
        );
      }
      const expected = table.columnTypeOids?.[column];
      if (expected !== undefined && present.get(column) !== expected) {
        throw new LegacyStreamError(
          "column-changed",
          `Cannot decode changes of ${table.name}: column "${column}" (${setting}) changed type (type OID ${expected}, now ${
            present.get(column)
          }); check that the sync still reads it right, then start the daemon again`,
        );
      }
    }
    return true;
  }

  #mine(relation: Pgoutput.MessageRelation): boolean {
    return this.#relations.get(relation.relationOid) ?? this.#isLegacyTable(relation);
  }

  #current(): SourceTransaction {
    if (!this.#tx) {
      throw new LegacyStreamError(
        "replication-failed",
        `Cannot decode changes of ${this.#options.table.name}: a change arrived outside a transaction`,
      );
    }
    return this.#tx;
  }

  #changes(changes: LegacyChange[]): StreamEvent[] {
    const tx = this.#current();
    const events: StreamEvent[] = changes.map((change) => ({ type: "change", change }));
    if (this.#begun) return events;
    this.#begun = true;
    return [{ type: "begin", tx }, ...events];
  }

  #update(message: Pgoutput.MessageUpdate): AccountChange[] {
    const old = message.key ?? message.old;
    const oldId = old ? this.#key(old) : undefined;
    // An unchanged key stored out of line comes only in the old key.
    const newId = this.#key(message.new) ?? oldId;
    if (newId === undefined) throw this.#noKey("update");
    const upsert = this.#upsert(message.new, newId);
    // A primary-key change: the same row under a new key, so the same account, re-keyed.
    if (oldId !== undefined && oldId !== newId) upsert.previousLegacyId = oldId;
    return [upsert];
  }

  #upsert(tuple: Tuple, id = this.#key(tuple)): AccountChange {
    if (id === undefined) throw this.#noKey("insert");
    const { columns } = this.#options;
    return legacyUpsertChange(
      {
        legacyId: id,
        legacyInt: this.#options.table.integerKey ? id : null,
        username: textOf(tuple, columns.username),
        createdAt: textOf(tuple, columns.createdAt),
        displayName: columns.displayName === undefined ? null : textOf(tuple, columns.displayName),
      },
      this.#current().finalLsn,
      { createdAtZone: this.#options.table.createdAtZone },
    );
  }

  #delete(id: string): LegacyChange {
    return {
      kind: "delete",
      legacyId: id,
      legacyInt: this.#options.table.integerKey ? id : null,
      username: undefined,
      createdAt: undefined,
      displayName: undefined,
      lsn: this.#current().finalLsn,
    };
  }

  #key(tuple: Tuple): string | undefined {
    return textOf(tuple, this.#options.columns.id) ?? undefined;
  }

  #noKey(operation: string): LegacyStreamError {
    const { table, columns } = this.#options;
    return new LegacyStreamError(
      "no-key",
      `Cannot decode a ${operation} of ${table.name}: it carries no value of its key "${columns.id}" (check its REPLICA IDENTITY)`,
    );
  }
}

/** A column's text; `undefined` when unchanged and not sent (TOAST), never turned into null. */
function textOf(tuple: Tuple, column: string): string | null | undefined {
  const value = tuple[column];
  if (value === undefined || value === null || typeof value === "string") return value;
  throw new TypeError(
    `Cannot decode column "${column}": expected PostgreSQL's text, got ${typeof value}`,
  );
}

function lsnOf(lsn: string | null, message: string): string {
  if (lsn === null) {
    throw new LegacyStreamError(
      "replication-failed",
      `Cannot decode a ${message} message: it has no LSN`,
    );
  }
  return formatLsn(parseLsn(lsn));
}

/** Pgoutput times are microseconds since the Unix epoch (the library moved them from 2000). */
function dateOf(microseconds: unknown): Date {
  return new Date(Number((microseconds as bigint) / 1000n));
}
