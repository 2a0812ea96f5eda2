import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { PgoutputPlugin } from "pg-logical-replication";
import { readChange } from "./read_change.ts";

const int32 = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
};
const int16 = (value: number) => {
  const buffer = Buffer.alloc(2);
  buffer.writeInt16BE(value);
  return buffer;
};
const text = (value: string) => Buffer.from(`${value}\0`);

/** Relation 16384, public.users (id key, username, note). */
const RELATION = Buffer.concat([
  Buffer.from("R"),
  int32(16384),
  text("public"),
  text("users"),
  Buffer.from("d"),
  int16(3),
  ...[["id", 1], ["username", 0], ["note", 0]].flatMap(([name, flags]) => [
    Buffer.from([flags as number]),
    text(name as string),
    int32(25),
    int32(-1),
  ]),
]);

type Value = string | null | "unchanged";
const tuple = (values: Value[]) =>
  Buffer.concat([
    int16(values.length),
    ...values.map((value) =>
      value === null
        ? Buffer.from("n")
        : value === "unchanged"
        ? Buffer.from("u")
        : Buffer.concat([Buffer.from("t"), int32(Buffer.byteLength(value)), Buffer.from(value)])
    ),
  ]);
const message = (tag: string, ...parts: Buffer[]) =>
  Buffer.concat([Buffer.from(tag), int32(16384), ...parts]);

const MESSAGES = {
  "insert": message("I", Buffer.from("N"), tuple(["7", "Zoë 🦊", null])),
  "update, new only": message("U", Buffer.from("N"), tuple(["7", "ann", "unchanged"])),
  "update of the key": message(
    "U",
    Buffer.from("K"),
    tuple(["6", null, null]),
    Buffer.from("N"),
    tuple(["7", "ann", "x"]),
  ),
  "update with the old row": message(
    "U",
    Buffer.from("O"),
    tuple(["7", "old", "kept"]),
    Buffer.from("N"),
    tuple(["7", "new", "unchanged"]),
  ),
  "delete by key": message("D", Buffer.from("K"), tuple(["7", null, null])),
  "delete with the old row": message("D", Buffer.from("O"), tuple(["7", "ann", ""])),
};

Deno.test("readChange reads what the library's parser reads, values as text", () => {
  const library = new PgoutputPlugin({ protoVersion: 1, publicationNames: ["p"] });
  const relation = library.parse(RELATION);
  assert.equal(relation.tag, "relation");
  if (relation.tag !== "relation") return;
  for (const column of relation.columns) column.parser = (value: string) => value;
  const relations = new Map([[16384, relation]]);
  for (const [name, bytes] of Object.entries(MESSAGES)) {
    assert.deepEqual(readChange(bytes, 0, relations), library.parse(bytes), name);
  }
});

Deno.test("readChange skips a stream's transaction ID, and refuses what it cannot read", () => {
  const library = new PgoutputPlugin({ protoVersion: 1, publicationNames: ["p"] });
  const relation = library.parse(RELATION);
  if (relation.tag !== "relation") throw new Error("not a relation");
  const relations = new Map([[16384, relation]]);
  const streamed = Buffer.concat([
    Buffer.from("I"),
    int32(901),
    int32(16384),
    Buffer.from("N"),
    tuple(["1", "a", "b"]),
  ]);
  assert.deepEqual(readChange(streamed, 4, relations), {
    tag: "insert",
    relation,
    new: Object.assign(Object.create(null), { id: "1", username: "a", note: "b" }),
  });
  assert.throws(() => readChange(message("I", Buffer.from("N"), tuple(["1"])), 0, new Map()));
  assert.throws(() => readChange(message("U", Buffer.from("X")), 0, relations));
  assert.throws(() => readChange(message("D", Buffer.from("N")), 0, relations));
});
