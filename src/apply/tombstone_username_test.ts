import assert from "node:assert/strict";
import { isSystemName, seededRandom, validateUsername } from "../policy/mod.ts";
import { tombstoneUsername } from "./tombstone_username.ts";

Deno.test("tombstoneUsername() is a system name: valid for the system, refused for anyone else", () => {
  const random = seededRandom(7);
  for (let i = 0; i < 1_000; i++) {
    const name = tombstoneUsername(random);
    assert.match(name, /^deleted_[6789bcdghjkmnpqrtwz]{10}$/);
    assert.ok(isSystemName(name), name);
    assert.deepEqual(validateUsername(name, { system: true }), { valid: true }, name);
    const requested = validateUsername(name);
    assert.ok(!requested.valid && requested.reasons.includes("RESERVED"), name);
  }
});

Deno.test("tombstoneUsername() is random: no account id, no count, a new name each draw", () => {
  const random = seededRandom(11);
  const names = new Set(Array.from({ length: 10_000 }, () => tombstoneUsername(random)));
  assert.equal(names.size, 10_000);
  for (const name of names) assert.doesNotMatch(name, /^deleted_\d+$/);
});
