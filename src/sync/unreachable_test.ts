import assert from "node:assert/strict";
import { isUnreachable } from "./unreachable.ts";

Deno.test("isUnreachable() waits out unreachable databases and reports everything else", async (t) => {
  const cases: [string, unknown, boolean][] = [
    [
      "a refused connection",
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      true,
    ],
    ["a reset socket", Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }), true],
    [
      "an admin shutdown",
      Object.assign(new Error("terminating connection due to administrator command"), {
        code: "57P01",
      }),
      true,
    ],
    [
      "a server starting",
      Object.assign(new Error("the database system is starting up"), { code: "57P03" }),
      true,
    ],
    [
      "a connection failure class",
      Object.assign(new Error("connection failure"), { code: "08006" }),
      true,
    ],
    ["a dropped session", new Error("Connection terminated unexpectedly"), true],
    [
      "a client after its session dropped",
      new Error("Client has encountered a connection error and is not queryable"),
      true,
    ],
    [
      "a missing table",
      new Error("Cannot read the legacy table: public.users does not exist"),
      false,
    ],
    ["a unique violation", Object.assign(new Error("duplicate key"), { code: "23505" }), false],
    ["no error at all", null, false],
  ];
  for (const [what, error, expected] of cases) {
    await t.step(what, () => assert.equal(isUnreachable(error), expected));
  }
});
