import assert from "node:assert/strict";
import fc from "fast-check";
import {
  isWellFormedUsername,
  USERNAME_MAX_LENGTH,
  USERNAME_MIN_LENGTH,
  usernameShapeReasons,
} from "./username_shape.ts";

// The database CHECK, written in JS: char_length counts code points, as [...name].length does.
function databaseCheck(name: string): boolean {
  const length = [...name].length;
  return /^[a-z0-9]+([._][a-z0-9]+)*$/.test(name) && length >= 3 && length <= 30 &&
    !/^[0-9]+$/.test(name);
}

Deno.test("isWellFormedUsername() accepts and refuses by shape", async (t) => {
  const cases: [string, boolean][] = [
    ["bob", true],
    ["bob.smith", true],
    ["bob_smith_2", true],
    ["a1b", true],
    ["1.2", true],
    ["x".repeat(30), true],
    ["ab", false],
    ["x".repeat(31), false],
    ["12345", false],
    ["Bob", false],
    [".bob", false],
    ["bob_", false],
    ["bo..b", false],
    ["bo._b", false],
    ["bo-b", false],
    ["bo b", false],
    ["b\u00f6b", false],
    ["", false],
  ];
  for (const [name, expected] of cases) {
    await t.step(`${JSON.stringify(name)} is ${expected ? "well formed" : "refused"}`, () => {
      assert.equal(isWellFormedUsername(name), expected);
      assert.equal(databaseCheck(name), expected);
    });
  }
});

Deno.test("isWellFormedUsername() agrees with the database CHECK on any string", () => {
  const nameLike = fc.string({
    unit: fc.constantFrom(..."abz019._-A \u00e9"),
    maxLength: 34,
  });
  fc.assert(
    fc.property(fc.oneof(nameLike, fc.string({ unit: "binary" })), (name) => {
      assert.equal(isWellFormedUsername(name), databaseCheck(name));
    }),
    { numRuns: 10_000 },
  );
});

Deno.test("USERNAME_MIN_LENGTH and USERNAME_MAX_LENGTH are 3 and 30", () => {
  assert.deepEqual([USERNAME_MIN_LENGTH, USERNAME_MAX_LENGTH], [3, 30]);
});

Deno.test("usernameShapeReasons() names each shape problem", () => {
  assert.deepEqual(usernameShapeReasons("bob"), []);
  assert.deepEqual(usernameShapeReasons(""), ["TOO_SHORT"]);
  assert.deepEqual(usernameShapeReasons("12"), ["TOO_SHORT", "ALL_DIGITS"]);
  assert.deepEqual(usernameShapeReasons("b".repeat(31)), ["TOO_LONG"]);
  assert.deepEqual(usernameShapeReasons("12345"), ["ALL_DIGITS"]);
  assert.deepEqual(usernameShapeReasons("bo..b"), ["BAD_SHAPE"]);
  assert.deepEqual(usernameShapeReasons("B!"), ["TOO_SHORT", "BAD_SHAPE"]);
});
