/**
 * Pgoutput's Insert, Update and Delete messages read straight from the received bytes, values kept
 * as PostgreSQL's text: the library's parser (a reader object, a text decoder and a type parser per
 * value) took more than half the daemon's time a change. The result has the library's shape: a
 * tuple is an object of column name to text, null for SQL null, and, for a value unchanged and not
 * sent (TOAST), the old tuple's value when the message has one, else nothing (`undefined`); a key
 * tuple holds only the key columns.
 */
import type { Buffer } from "node:buffer";
import type { Pgoutput } from "pg-logical-replication";

type Tuple = Record<string, unknown>;

/** The three messages {@linkcode readChange} reads. */
export type ChangeMessage =
  | Pgoutput.MessageInsert
  | Pgoutput.MessageUpdate
  | Pgoutput.MessageDelete;

/**
 * Reads the Insert ('I'), Update ('U') or Delete ('D') message `buffer` (its tag first, then
 * `skip` bytes: a stream block's transaction ID, 4, or none). `relations`: the Relation messages
 * seen, by relation ID.
 */
export function readChange(
  buffer: Buffer,
  skip: number,
  relations: ReadonlyMap<number, Pgoutput.MessageRelation>,
): ChangeMessage {
  const tag = buffer[0]!;
  const reader = new Reader(buffer, 1 + skip);
  const relationOid = reader.int32();
  const relation = relations.get(relationOid);
  if (!relation) throw new Error(`missing relation ${relationOid}`);
  if (tag === 0x49) { // I
    reader.expect(0x4e);
    return { tag: "insert", relation, new: reader.tuple(relation) };
  }
  const kind = reader.byte();
  if (tag === 0x44) { // D
    if (kind === 0x4b) return { tag: "delete", relation, key: reader.key(relation), old: null };
    if (kind === 0x4f) return { tag: "delete", relation, key: null, old: reader.tuple(relation) };
    throw new Error(`unknown submessage key ${String.fromCharCode(kind)}`);
  }
  let key: Tuple | null = null;
  let old: Tuple | null = null;
  if (kind === 0x4b) {
    key = reader.key(relation);
    reader.expect(0x4e);
  } else if (kind === 0x4f) {
    old = reader.tuple(relation);
    reader.expect(0x4e);
  } else if (kind !== 0x4e) {
    throw new Error(`unknown submessage key ${String.fromCharCode(kind)}`);
  }
  return { tag: "update", relation, key, old, new: reader.tuple(relation, old) };
}

/** A cursor over the message's bytes. */
class Reader {
  readonly #buffer: Buffer;
  #at: number;

  constructor(buffer: Buffer, at: number) {
    this.#buffer = buffer;
    this.#at = at;
  }

  byte(): number {
    return this.#buffer[this.#at++]!;
  }

  int32(): number {
    const value = this.#buffer.readInt32BE(this.#at);
    this.#at += 4;
    return value;
  }

  expect(byte: number): void {
    const found = this.byte();
    if (found !== byte) {
      throw new Error(
        `expected ${String.fromCharCode(byte)}, found ${String.fromCharCode(found)}`,
      );
    }
  }

  /** TupleData: each column's value as text, null, or unchanged (`fallback`'s value, if any). */
  tuple(relation: Pgoutput.MessageRelation, fallback?: Tuple | null): Tuple {
    const buffer = this.#buffer;
    const count = buffer.readInt16BE(this.#at);
    this.#at += 2;
    const tuple: Tuple = Object.create(null);
    for (let i = 0; i < count; i++) {
      const name = relation.columns[i]!.name;
      const kind = buffer[this.#at++];
      if (kind === 0x74) { // t
        const length = buffer.readInt32BE(this.#at);
        this.#at += 4;
        tuple[name] = buffer.toString("utf8", this.#at, this.#at + length);
        this.#at += length;
      } else if (kind === 0x6e) tuple[name] = null; // n
      else if (kind === 0x75) tuple[name] = fallback?.[name]; // u
      else if (kind === 0x62) { // b: never asked for; read as the library does
        const length = buffer.readInt32BE(this.#at);
        this.#at += 4;
        tuple[name] = buffer.subarray(this.#at, this.#at + length);
        this.#at += length;
      } else throw new Error(`unknown attribute kind ${String.fromCharCode(kind ?? 0)}`);
    }
    return tuple;
  }

  /** A key tuple: the key columns only, a null read as "not sent". */
  key(relation: Pgoutput.MessageRelation): Tuple {
    const tuple = this.tuple(relation);
    const key: Tuple = Object.create(null);
    for (const column of relation.keyColumns) {
      key[column] = tuple[column] === null ? undefined : tuple[column];
    }
    return key;
  }
}
