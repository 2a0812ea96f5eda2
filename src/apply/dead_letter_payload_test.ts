import assert from "node:assert/strict";
import type { LegacyChange } from "./legacy_change.ts";
import {
  changeFromPayload,
  PAYLOAD_FIELD_MAX_CODE_POINTS,
  payloadOf,
} from "./dead_letter_payload.ts";

Deno.test("changeFromPayload() reads back what payloadOf() wrote, unchanged TOAST included", () => {
  const changes: LegacyChange[] = [
    {
      kind: "upsert",
      legacyId: "7",
      legacyInt: "7",
      username: "Bob",
      createdAt: undefined,
      displayName: null,
      lsn: "0/10",
    },
    {
      kind: "delete",
      legacyId: "x",
      legacyInt: null,
      username: undefined,
      createdAt: undefined,
      displayName: undefined,
      lsn: "1/0",
    },
    { kind: "truncate", lsn: "0/20" },
  ];
  for (const change of changes) {
    assert.deepEqual(changeFromPayload(JSON.parse(payloadOf(change))), change);
  }
});

Deno.test("payloadOf() keeps a NUL out of the JSON text a jsonb column refuses", () => {
  const payload = payloadOf({ kind: "truncate", lsn: "0/1\0" });
  assert.equal(JSON.parse(payload).lsn, "0/1\\u0000");
});

Deno.test("changeFromPayload() refuses payloads it did not write", async (t) => {
  const cases: [string, unknown, RegExp][] = [
    ["not an object", "upsert", /not a JSON object/],
    ["null", null, /not a JSON object/],
    ["no lsn", { kind: "delete", legacyId: "1" }, /lsn is not a string/],
    ["unknown kind", { kind: "merge", lsn: "0/1" }, /unknown kind "merge"/],
    ["no legacy id", { kind: "upsert", lsn: "0/1" }, /legacyId is not a string/],
    [
      "a number for text",
      { kind: "upsert", lsn: "0/1", legacyId: "1", username: 5 },
      /username is not text or null/,
    ],
  ];
  for (const [name, payload, message] of cases) {
    await t.step(name, () => {
      assert.throws(() => changeFromPayload(payload), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

Deno.test("payloadOf() keeps a legacy value that spells \\u0000 exactly as it is", () => {
  const spelled = "bob\\u0000smith"; // a backslash, u and four zeros: text, not a NUL
  const change: LegacyChange = {
    kind: "upsert",
    legacyId: "1",
    legacyInt: "1",
    username: spelled,
    createdAt: null,
    displayName: "\\\\u0000",
    lsn: "0/1",
  };
  assert.deepEqual(changeFromPayload(JSON.parse(payloadOf(change))), change);
});

Deno.test("payloadOf() cuts a text field at 1,025 code points, never inside a pair", () => {
  const long = "\u{1F600}".repeat(2_000);
  const change: LegacyChange = {
    kind: "upsert",
    legacyId: "1",
    legacyInt: "1",
    username: "x".repeat(10_000),
    createdAt: null,
    displayName: long,
    lsn: "0/1",
  };
  const read = JSON.parse(payloadOf(change));
  assert.equal(read.username.length, PAYLOAD_FIELD_MAX_CODE_POINTS);
  assert.equal([...read.displayName].length, PAYLOAD_FIELD_MAX_CODE_POINTS);
  assert.equal(read.displayName, long.slice(0, 2 * PAYLOAD_FIELD_MAX_CODE_POINTS));
});
