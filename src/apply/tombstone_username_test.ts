import assert from "node:assert/strict";
import { validateUsername } from "../policy/mod.ts";
import { TOMBSTONE_ATTEMPTS, tombstoneUsername } from "./tombstone_username.ts";

Deno.test("tombstoneUsername() is a valid username for every account id and attempt", () => {
  for (const id of ["1", "42", "9223372036854775807"]) {
    for (let attempt = 0; attempt < TOMBSTONE_ATTEMPTS; attempt++) {
      const name = tombstoneUsername(id, attempt);
      assert.deepEqual(validateUsername(name), { valid: true }, name);
    }
  }
});

Deno.test("tombstoneUsername() differs for every account and attempt", () => {
  assert.equal(tombstoneUsername("12", 0), "deleted_12");
  assert.equal(tombstoneUsername("12", 3), "deleted_12_3");
  assert.notEqual(tombstoneUsername("1", 2), tombstoneUsername("12", 0));
});

Deno.test("tombstoneUsername() refuses what is not an account id", () => {
  assert.throws(() => tombstoneUsername("0", 0), RangeError);
  assert.throws(() => tombstoneUsername("x1", 0), RangeError);
});
