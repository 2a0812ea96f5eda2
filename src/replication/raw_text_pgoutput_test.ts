import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { RawTextPgoutputPlugin } from "./raw_text_pgoutput.ts";

const plugin = () =>
  new RawTextPgoutputPlugin({ publicationNames: ["p"], messages: true, streaming: true });

/** A Relation message of table public.t (id text), with `prefix` (a stream's xid) after its tag. */
function relationMessage(prefix: Buffer): Buffer {
  const text = (value: string) => Buffer.from(`${value}\0`);
  const int32 = (value: number) => {
    const buffer = Buffer.alloc(4);
    buffer.writeInt32BE(value);
    return buffer;
  };
  return Buffer.concat([
    Buffer.from("R"),
    prefix,
    int32(16384),
    text("public"),
    text("t"),
    Buffer.from("d"),
    Buffer.from([0, 1]),
    Buffer.from([1]),
    text("id"),
    int32(25),
    int32(-1),
  ]);
}

Deno.test("RawTextPgoutputPlugin decodes protocol 2's stream messages", () => {
  const decoder = plugin();
  const start = Buffer.from([0x53, 0, 0, 0x03, 0x84, 1]);
  assert.deepEqual(decoder.parse(start), { tag: "stream-start", xid: 900, first: true });

  // Inside the block, the xid after the tag is taken out and handed on.
  const xid = Buffer.from([0, 0, 0x03, 0x85]);
  const relation = decoder.parse(relationMessage(xid));
  assert.equal(relation.tag, "relation");
  assert.equal((relation as { streamXid?: number }).streamXid, 901);
  assert.equal((relation as { name?: string }).name, "t");

  // Origin, right after a stream start, carries no xid.
  const origin = Buffer.concat([
    Buffer.from("O"),
    Buffer.alloc(7),
    Buffer.from([1]),
    Buffer.from("ab\0"),
  ]);
  assert.deepEqual(decoder.parse(origin), {
    tag: "origin",
    originLsn: "00000000/00000001",
    originName: "ab",
  });

  assert.deepEqual(decoder.parse(Buffer.from("E")), { tag: "stream-stop" });
  // Outside a block a message has no xid.
  assert.equal(decoder.parse(relationMessage(Buffer.alloc(0))).tag, "relation");

  const commit = Buffer.alloc(30);
  commit.write("c", 0);
  commit.writeUInt32BE(900, 1);
  commit.writeUInt32BE(0x1, 6);
  commit.writeUInt32BE(0x52AB00, 10);
  commit.writeUInt32BE(0x1, 14);
  commit.writeUInt32BE(0x52AB30, 18);
  commit.writeBigUInt64BE(1_000_000n, 22);
  assert.deepEqual(decoder.parse(commit), {
    tag: "stream-commit",
    xid: 900,
    commitLsn: "1/52AB00",
    endLsn: "1/52AB30",
    commitTime: 946_684_801_000_000n,
  });

  const abort = Buffer.from([0x41, 0, 0, 0x03, 0x84, 0, 0, 0x03, 0x85]);
  assert.deepEqual(decoder.parse(abort), { tag: "stream-abort", xid: 900, subXid: 901 });
});

Deno.test("RawTextPgoutputPlugin asks for streaming only when told to", () => {
  const sent: string[] = [];
  const client = { query: (sql: string) => (sent.push(sql), Promise.resolve()) };
  plugin().start(client as never, "s", "0/0");
  new RawTextPgoutputPlugin({ publicationNames: ["p"] }).start(client as never, "s", "0/0");
  assert.match(sent[0]!, /proto_version '2'.*streaming 'on'/);
  assert.match(sent[1]!, /proto_version '1'/);
  assert.doesNotMatch(sent[1]!, /streaming/);
});
