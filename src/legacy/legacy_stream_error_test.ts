import assert from "node:assert/strict";
import { SessionDropped } from "../db/sessions.ts";
import { LegacyStreamError, streamErrorOf } from "./legacy_stream_error.ts";

const context = { slotName: "identity_sync", tableName: "public.users" };

function serverError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

Deno.test("streamErrorOf() tells what the daemon branches on from the server's SQLSTATE", async (t) => {
  const cases: [string, unknown, string][] = [
    [
      "a dropped slot",
      serverError("42704", 'replication slot "identity_sync" does not exist'),
      "slot-missing",
    ],
    [
      "an invalidated slot",
      serverError("55000", 'can no longer get changes from replication slot "identity_sync"'),
      "slot-lost",
    ],
    ["a closed socket", new Error("Connection terminated unexpectedly"), "connection-lost"],
    [
      "a refused connection",
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }),
      "connection-lost",
    ],
    [
      "a session dropped at its deadline",
      new SessionDropped("no answer from the server within 60000 ms", "ETIMEDOUT"),
      "connection-lost",
    ],
    [
      "a terminated walsender",
      serverError("57P01", "terminating connection due to administrator command"),
      "connection-lost",
    ],
    ["a refused login", serverError("28P01", "password authentication failed"), "refused"],
    [
      "a missing publication",
      serverError("42704", 'publication "identity_sync" does not exist'),
      "publication-missing",
    ],
    [
      "a refused permission",
      serverError("42501", "permission denied to start WAL sender"),
      "refused",
    ],
    [
      "a slot another process streams: stood by",
      serverError("55006", 'replication slot "identity_sync" is active for PID 42'),
      "slot-in-use",
    ],
    [
      "too many connections: retried",
      serverError("53300", "too many clients"),
      "replication-failed",
    ],
  ];
  for (const [label, error, kind] of cases) {
    await t.step(label, () => {
      const classified = streamErrorOf(error, context);
      assert.equal(classified.kind, kind);
      assert.equal(classified.cause, error);
      assert.match(classified.message, /^Cannot stream public\.users: /);
    });
  }
});

Deno.test("streamErrorOf() keeps a LegacyStreamError as it is", () => {
  const error = new LegacyStreamError("column-missing", "Cannot decode changes of public.users");

  assert.equal(streamErrorOf(error, context), error);
});
