import assert from "node:assert/strict";
import type { Pgoutput } from "pg-logical-replication";
import { HEARTBEAT_PREFIX, PgoutputDecoder, type StreamEvent } from "./decode_pgoutput.ts";
import { LegacyStreamError } from "../legacy/legacy_stream_error.ts";

const COLUMNS = { id: "id", username: "username", createdAt: "created_at", displayName: "name" };
const TABLE = {
  name: "public.users",
  schema: "public",
  table: "users",
  integerKey: true,
  createdAtZone: null,
};

function relation(
  relationOid: number,
  columns: string[],
  options: { name?: string; schema?: string } = {},
): Pgoutput.MessageRelation {
  return {
    tag: "relation",
    relationOid,
    schema: options.schema ?? "public",
    name: options.name ?? "users",
    replicaIdentity: "default",
    columns: columns.map((name) => ({
      name,
      flags: name === "id" ? 1 : 0,
      typeOid: 25,
      typeMod: -1,
      typeSchema: null,
      typeName: null,
      parser: (text: string) => text,
    })),
    keyColumns: ["id"],
  };
}

const USERS = relation(16384, ["id", "username", "created_at", "name"]);
const OTHER = relation(16390, ["id", "note"], { name: "audit" });

// The parser pads LSNs to 8 digits a half; the decoder prints them as PostgreSQL does.
const begin: Pgoutput.MessageBegin = {
  tag: "begin",
  commitLsn: "00000000/0152AA50",
  commitTime: 1_700_000_000_123_456n as unknown as bigint,
  xid: 742,
};
const commit: Pgoutput.MessageCommit = {
  tag: "commit",
  flags: 0,
  commitLsn: "00000000/0152AA50",
  commitEndLsn: "00000000/0152AA80",
  commitTime: begin.commitTime,
};
const row = (id: string, username?: string | null): Record<string, unknown> => ({
  id,
  username,
  created_at: "2001-02-03 04:05:06.123456+00",
  name: "Name",
});

function decodeAll(decoder: PgoutputDecoder, messages: Pgoutput.Message[]): StreamEvent[] {
  return messages.flatMap((message) => decoder.decode(message));
}

Deno.test("PgoutputDecoder reads a zone-less creation time in the table's zone, once", () => {
  const decoder = new PgoutputDecoder({
    table: { ...TABLE, createdAtZone: "America/New_York" },
    columns: COLUMNS,
  });

  const events = decodeAll(decoder, [USERS, begin, {
    tag: "insert",
    relation: USERS,
    new: { ...row("7", "Bob"), created_at: "2020-06-01 12:00:00" },
  }]);

  const change = events[1]?.type === "change" ? events[1].change : undefined;
  assert.equal(
    change?.kind === "upsert" && change.createdAt,
    "2020-06-01 12:00:00 America/New_York",
  );
});

Deno.test("PgoutputDecoder begins a transaction only when it changes the legacy table", () => {
  const decoder = new PgoutputDecoder({ table: TABLE, columns: COLUMNS });

  const events = decodeAll(decoder, [
    USERS,
    OTHER,
    begin,
    { tag: "insert", relation: OTHER, new: { id: "1", note: "x" } },
    commit,
    begin,
    commit,
  ]);

  assert.deepEqual(events, []);
  assert.equal(decoder.inTransaction, false);
});

Deno.test("PgoutputDecoder brackets an insert with begin and commit, at the transaction's LSNs", () => {
  const decoder = new PgoutputDecoder({ table: TABLE, columns: COLUMNS });

  const events = decodeAll(decoder, [
    USERS,
    begin,
    { tag: "insert", relation: USERS, new: row("7", "Bob") },
  ]);
  assert.equal(decoder.inTransaction, true);
  events.push(...decoder.decode(commit));

  const tx = { finalLsn: "0/152AA50", commitTime: new Date(1_700_000_000_123), xid: 742 };
  assert.deepEqual(events, [
    { type: "begin", tx },
    {
      type: "change",
      change: {
        kind: "upsert",
        legacyId: "7",
        legacyInt: "7",
        username: "Bob",
        createdAt: "2001-02-03 04:05:06.123456+00",
        displayName: "Name",
        lsn: "0/152AA50",
      },
    },
    { type: "commit", tx: { ...tx, endLsn: "0/152AA80" } },
  ]);
});

Deno.test("PgoutputDecoder turns an update of the key into one upsert that re-keys", async (t) => {
  const cases: [string, Partial<Pgoutput.MessageUpdate>, string[]][] = [
    ["old key (replica identity default)", { key: { id: "7" } }, ["upsert 8 from 7"]],
    ["old row (replica identity full)", { old: row("7", "Bob") }, ["upsert 8 from 7"]],
    ["same key in the old row", { old: row("8", "Bob") }, ["upsert 8"]],
    ["no old key", {}, ["upsert 8"]],
  ];
  for (const [label, old, expected] of cases) {
    await t.step(label, () => {
      const decoder = new PgoutputDecoder({ table: TABLE, columns: COLUMNS });
      const events = decodeAll(decoder, [USERS, begin, {
        tag: "update",
        relation: USERS,
        key: null,
        old: null,
        ...old,
        new: row("8", "Bobby"),
      }]);
      const changes = events.flatMap((e) => e.type === "change" ? [e.change] : []);
      assert.deepEqual(
        changes.map((c) =>
          c.kind === "truncate"
            ? c.kind
            : `${c.kind} ${c.legacyId}${c.previousLegacyId ? ` from ${c.previousLegacyId}` : ""}`
        ),
        expected,
      );
      assert.ok(changes.every((c) => c.kind === "upsert"), "never a delete: the person stays");
    });
  }
});

Deno.test("PgoutputDecoder keeps unchanged TOAST values undefined, and nulls null", () => {
  const decoder = new PgoutputDecoder({ table: TABLE, columns: COLUMNS });

  const [, change] = decodeAll(decoder, [USERS, begin, {
    tag: "update",
    relation: USERS,
    key: null,
    old: null,
    new: { id: "7", username: undefined, created_at: null, name: undefined },
  }]);

  assert.deepEqual(change, {
    type: "change",
    change: {
      kind: "upsert",
      legacyId: "7",
      legacyInt: "7",
      username: undefined,
      createdAt: null,
      displayName: undefined,
      lsn: "0/152AA50",
    },
  });
});

Deno.test("PgoutputDecoder maps columns by name in every Relation message", () => {
  const decoder = new PgoutputDecoder({ table: TABLE, columns: COLUMNS });
  const drifted = relation(16384, ["extra", "name", "id", "created_at", "username"]);

  const events = decodeAll(decoder, [USERS, drifted, begin, {
    tag: "insert",
    relation: drifted,
    new: { extra: "x", ...row("9", "Zed") },
  }]);

  assert.equal(events.length, 2);
  assert.equal((events[1] as { change: { username: string } }).change.username, "Zed");
});

Deno.test("PgoutputDecoder refuses a Relation message without a mapped column, naming it", () => {
  const decoder = new PgoutputDecoder({ table: TABLE, columns: COLUMNS });

  assert.throws(
    () => decoder.decode(relation(16384, ["id", "username", "created_at"])),
    (error: LegacyStreamError) => {
      assert.equal(error.kind, "column-missing");
      assert.match(error.message, /public\.users\b.*"name" \(LEGACY_DISPLAY_NAME_COLUMN\)/);
      return true;
    },
  );
  // Another table of that name in another schema is not the legacy table.
  assert.deepEqual(decoder.decode(relation(1, ["id"], { schema: "archive" })), []);
});

Deno.test("PgoutputDecoder stops on another table under the legacy name, or a mapped column's new type", async (t) => {
  const known = {
    ...TABLE,
    oid: 16384,
    columnTypeOids: { id: 25, username: 25, created_at: 25, name: 25 },
  };
  const refuses = (message: Pgoutput.MessageRelation, kind: string, pattern: RegExp) =>
    assert.throws(
      () => new PgoutputDecoder({ table: known, columns: COLUMNS }).decode(message),
      (error: LegacyStreamError) => {
        assert.equal(error.kind, kind);
        assert.match(error.message, pattern);
        return true;
      },
    );

  await t.step("the table as it was passes", () => {
    assert.deepEqual(new PgoutputDecoder({ table: known, columns: COLUMNS }).decode(USERS), []);
  });
  await t.step("a new relation OID is a replaced table", () => {
    refuses(
      relation(16500, ["id", "username", "created_at", "name"]),
      "table-replaced",
      /relation 16500, not 16384.*dropped and created again/,
    );
  });
  await t.step("a mapped column of another type", () => {
    const retyped = relation(16384, ["id", "username", "created_at", "name"]);
    retyped.columns[2] = { ...retyped.columns[2]!, typeOid: 1114 };
    refuses(
      retyped,
      "column-changed",
      /column "created_at" \(LEGACY_CREATED_AT_COLUMN\) changed type \(type OID 25, now 1114\)/,
    );
  });
});

Deno.test("PgoutputDecoder stops on a delete without its key, pointing at REPLICA IDENTITY", () => {
  const decoder = new PgoutputDecoder({ table: TABLE, columns: COLUMNS });
  decodeAll(decoder, [USERS, begin]);

  assert.throws(
    () => decoder.decode({ tag: "delete", relation: USERS, key: { email: "x" }, old: null }),
    (error: LegacyStreamError) => {
      assert.equal(error.kind, "no-key");
      assert.match(
        error.message,
        /carries no value of its key "id" \(check its REPLICA IDENTITY\)/,
      );
      return true;
    },
  );
});

Deno.test("PgoutputDecoder gives a null display name when none is configured, and text keys no number", () => {
  const decoder = new PgoutputDecoder({
    table: { ...TABLE, integerKey: false },
    columns: { id: "id", username: "username", createdAt: "created_at" },
  });

  const [, event] = decodeAll(decoder, [USERS, begin, {
    tag: "insert",
    relation: USERS,
    new: row("a1", "Ann"),
  }]);

  assert.deepEqual(
    event,
    {
      type: "change",
      change: {
        kind: "upsert",
        legacyId: "a1",
        legacyInt: null,
        username: "Ann",
        createdAt: "2001-02-03 04:05:06.123456+00",
        displayName: null,
        lsn: "0/152AA50",
      },
    },
  );
});

Deno.test("PgoutputDecoder passes truncates of the legacy table and transactional heartbeats only", () => {
  const decoder = new PgoutputDecoder({ table: TABLE, columns: COLUMNS });
  const message = (prefix: string, transactional: boolean): Pgoutput.MessageMessage => ({
    tag: "message",
    flags: transactional ? 1 : 0,
    transactional,
    messageLsn: "00000000/0152AA60",
    prefix,
    content: new TextEncoder().encode("2026-01-01T00:00:00Z"),
  });
  const truncate = (relations: Pgoutput.MessageRelation[]): Pgoutput.MessageTruncate => ({
    tag: "truncate",
    cascade: false,
    restartIdentity: false,
    relations,
  });

  const events = decodeAll(decoder, [
    USERS,
    OTHER,
    message(HEARTBEAT_PREFIX, false),
    begin,
    message("someone_else", true),
    message(HEARTBEAT_PREFIX, true),
    truncate([OTHER]),
    truncate([OTHER, USERS]),
    commit,
  ]);

  assert.deepEqual(events.map((e) => e.type), ["heartbeat", "begin", "change", "commit"]);
  assert.deepEqual(events[0], {
    type: "heartbeat",
    message: {
      lsn: "0/152AA60",
      content: "2026-01-01T00:00:00Z",
      commitTime: new Date(1_700_000_000_123),
    },
  });
  assert.deepEqual(events[2], { type: "change", change: { kind: "truncate", lsn: "0/152AA50" } });
});

Deno.test("PgoutputDecoder spools a streamed transaction's changes and announces its end", () => {
  const decoder = new PgoutputDecoder({ table: TABLE, columns: COLUMNS });
  const inStream = <M extends Pgoutput.Message>(message: M, streamXid: number) => ({
    ...message,
    streamXid,
  });
  const events = [
    { tag: "stream-start", xid: 900, first: true } as const,
    inStream(USERS, 900),
    inStream({ tag: "insert", relation: USERS, new: row("1", "ann") } as const, 900),
    inStream(
      { tag: "update", relation: USERS, new: row("2", "bob"), key: null, old: null } as const,
      901,
    ),
    inStream({ tag: "insert", relation: OTHER, new: { id: "5", note: "x" } } as const, 900),
    { tag: "stream-stop" } as const,
  ].flatMap((message) => decoder.decode(message));
  assert.deepEqual(
    events.map((event) => event.type === "spool" ? [event.xid, event.subXid] : event.type),
    [[900, 900], [900, 901], "spool-pause"],
  );
  const spooled = events[0]?.type === "spool" ? events[0].change : undefined;
  assert.equal(spooled?.lsn, "0/0");
  assert.equal(spooled?.kind === "upsert" ? spooled.username : undefined, "ann");
  // Open until its commit or abort: a keep-alive's position is not confirmed meanwhile.
  assert.equal(decoder.inTransaction, true);

  // A transaction in between, sent whole: delivered as usual.
  const between = decodeAll(decoder, [begin, {
    tag: "insert",
    relation: USERS,
    new: row("3", "cid"),
  }, commit]);
  assert.deepEqual(between.map((event) => event.type), ["begin", "change", "commit"]);

  assert.deepEqual(decoder.decode({ tag: "stream-abort", xid: 900, subXid: 901 }), [
    { type: "spool-abort", xid: 900, subXid: 901 },
  ]);
  assert.deepEqual(
    decoder.decode({
      tag: "stream-commit",
      xid: 900,
      commitLsn: "0/152AB00",
      endLsn: "0/152AB30",
      commitTime: 1_700_000_000_123_456n,
    }),
    [{
      type: "spool-commit",
      tx: {
        finalLsn: "0/152AB00",
        endLsn: "0/152AB30",
        commitTime: new Date(1_700_000_000_123),
        xid: 900,
      },
    }],
  );
  assert.equal(decoder.inTransaction, false);
});

Deno.test("PgoutputDecoder says nothing of a streamed transaction that never changed the table", () => {
  const decoder = new PgoutputDecoder({ table: TABLE, columns: COLUMNS });
  const events = [
    { tag: "stream-start", xid: 77, first: true } as const,
    { ...OTHER, streamXid: 77 },
    { tag: "insert", relation: OTHER, new: { id: "5", note: "x" }, streamXid: 77 } as const,
    { tag: "stream-stop" } as const,
    { tag: "stream-abort", xid: 77, subXid: 78 } as const,
    {
      tag: "stream-commit",
      xid: 77,
      commitLsn: "0/10",
      endLsn: "0/20",
      commitTime: 0n,
    } as const,
  ].flatMap((message) => decoder.decode(message));
  assert.deepEqual(events, []);
  assert.equal(decoder.inTransaction, false);
});

Deno.test("PgoutputDecoder refuses a streamed change outside a stream block", () => {
  const decoder = new PgoutputDecoder({ table: TABLE, columns: COLUMNS });
  decoder.decode(USERS);
  assert.throws(
    () => decoder.decode({ tag: "insert", relation: USERS, new: row("1", "ann"), streamXid: 5 }),
    LegacyStreamError,
  );
});
