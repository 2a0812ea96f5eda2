/**
 * The pgoutput plugin of `pg-logical-replication`, keeping every column value
 * as PostgreSQL's text. The library parses values with node-postgres's global
 * type parsers, which turn a timestamptz into a millisecond `Date` and an
 * int4 into a number; the text form loses nothing and is what `::text` gives.
 *
 * With `streaming`, it asks for protocol 2 with large transactions streamed while they are in
 * progress, and decodes the four stream messages the library does not know. Inside a stream
 * block every change and relation message carries the ID of the (sub)transaction that made it
 * after its tag: taken out, and handed on as `streamXid`, before the library's parser reads it.
 */
import { Buffer } from "node:buffer";
import { type Pgoutput, PgoutputPlugin } from "pg-logical-replication";
import type pg from "../db/pg.ts";
import { readChange } from "./read_change.ts";

/** A message the plugin could not decode, handed on instead of thrown inside the socket's event. */
export interface UndecodableMessage {
  tag: "undecodable";
  error: unknown;
}

/** A stream block of an in-progress transaction begins (`first`: its first block). */
export interface StreamStartMessage {
  tag: "stream-start";
  xid: number;
  first: boolean;
}

/** The stream block ends. */
export interface StreamStopMessage {
  tag: "stream-stop";
}

/** A streamed transaction committed: `commitLsn` and `endLsn` as in a Commit message. */
export interface StreamCommitMessage {
  tag: "stream-commit";
  xid: number;
  commitLsn: string;
  endLsn: string;
  /** Microseconds since the Unix epoch. */
  commitTime: bigint;
}

/** A streamed transaction (`subXid` equal to `xid`) or one of its subtransactions rolled back. */
export interface StreamAbortMessage {
  tag: "stream-abort";
  xid: number;
  subXid: number;
}

/** A message of a stream block: the (sub)transaction that wrote it. */
export type InStream<M> = M & { streamXid?: number };

/** What the plugin hands to the `data` event. */
export type DecodedMessage =
  | InStream<Pgoutput.Message>
  | UndecodableMessage
  | StreamStartMessage
  | StreamStopMessage
  | StreamCommitMessage
  | StreamAbortMessage;

/** Options of {@linkcode RawTextPgoutputPlugin}. */
export interface RawTextOptions {
  publicationNames: string[];
  messages?: boolean;
  /** Protocol 2, large in-progress transactions streamed (PostgreSQL 14+); else protocol 1. */
  streaming?: boolean;
}

const keepText = (text: string): string => text;

// (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY, as the library adds it.
const POSTGRES_EPOCH_MICROSECONDS = 946_684_800_000_000n;

/**
 * `PgoutputPlugin` with raw text values. `onReceive` is called for every
 * message as it arrives from the socket, before it waits in the library's
 * flow-control queue: the stream counts what is received but not yet handled.
 */
export class RawTextPgoutputPlugin {
  readonly options: RawTextOptions;
  readonly #plugin: PgoutputPlugin;
  readonly #onReceive: () => void;
  /** The Relation messages seen, by relation ID, for `readChange`. */
  readonly #relations = new Map<number, Pgoutput.MessageRelation>();
  #inStream = false;

  constructor(options: RawTextOptions, onReceive: () => void = () => {}) {
    this.options = options;
    this.#plugin = new PgoutputPlugin({ ...options, protoVersion: options.streaming ? 2 : 1 });
    this.#onReceive = onReceive;
  }

  /** The output plugin's name. */
  get name(): string {
    return this.#plugin.name;
  }

  /** Sends START_REPLICATION; settles when the stream ends. */
  start(client: pg.Client, slotName: string, lastLsn: string): Promise<unknown> {
    const { publicationNames, messages = false, streaming = false } = this.options;
    const options = [
      `proto_version '${streaming ? 2 : 1}'`,
      `publication_names '${publicationNames.join(",")}'`,
      `messages '${messages}'`,
      ...(streaming ? ["streaming 'on'"] : []),
    ];
    return client.query(
      `START_REPLICATION SLOT "${slotName}" LOGICAL ${lastLsn} (${options.join(", ")})`,
    );
  }

  /** Decodes one message; never throws (it runs inside the socket's data event). */
  parse(buffer: Buffer): DecodedMessage {
    this.#onReceive();
    try {
      return this.#parse(buffer);
    } catch (error) {
      return { tag: "undecodable", error };
    }
  }

  #parse(buffer: Buffer): DecodedMessage {
    switch (buffer[0]) {
      case 0x53: // S
        this.#inStream = true;
        return { tag: "stream-start", xid: buffer.readUInt32BE(1), first: buffer[5] === 1 };
      case 0x45: // E
        this.#inStream = false;
        return { tag: "stream-stop" };
      case 0x63: // c: xid, flags, commit LSN, end LSN, commit time
        return {
          tag: "stream-commit",
          xid: buffer.readUInt32BE(1),
          commitLsn: lsnAt(buffer, 6),
          endLsn: lsnAt(buffer, 14),
          commitTime: buffer.readBigUInt64BE(22) + POSTGRES_EPOCH_MICROSECONDS,
        };
      case 0x41: // A: xid, subtransaction xid (protocol 4 adds more, not asked for)
        return { tag: "stream-abort", xid: buffer.readUInt32BE(1), subXid: buffer.readUInt32BE(5) };
    }
    const tag = buffer[0]!;
    // In a stream block, every message but Origin carries its (sub)transaction's ID.
    const skip = this.#inStream && tag !== 0x4f ? 4 : 0;
    // Insert, Update, Delete: the common case, read here.
    const message = tag === 0x49 || tag === 0x55 || tag === 0x44
      ? readChange(buffer, skip, this.#relations)
      : this.#parseOther(
        skip === 0 ? buffer : Buffer.concat([buffer.subarray(0, 1), buffer.subarray(5)]),
      );
    if (skip === 0) return message;
    return Object.assign(message, { streamXid: buffer.readUInt32BE(1) });
  }

  /** Any other message, by the library's parser. */
  #parseOther(buffer: Buffer): Pgoutput.Message {
    const message = this.#plugin.parse(buffer);
    if (message.tag === "relation") {
      // The parser caches this very object and reads later tuples (a truncate's) with it.
      for (const column of message.columns) column.parser = keepText;
      this.#relations.set(message.relationOid, message);
    }
    return message;
  }
}

/** The LSN written at `offset` of `buffer`, as PostgreSQL prints it. */
function lsnAt(buffer: Buffer, offset: number): string {
  return `${buffer.readUInt32BE(offset).toString(16).toUpperCase()}/${
    buffer.readUInt32BE(offset + 4).toString(16).toUpperCase()
  }`;
}
