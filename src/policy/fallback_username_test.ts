import assert from "node:assert/strict";
import fc from "fast-check";
import { fallbackUsername } from "./fallback_username.ts";
import { GENERATED_ALPHABET, isSystemName } from "./system_names.ts";
import { seededRandom } from "./random.ts";
import { usernameCandidate } from "./username_candidate.ts";
import { anyLegacyValue } from "./testdata/legacy_values.ts";
import { validateUsername } from "./validate_username.ts";

const GENERATED = new RegExp(`^user_[${GENERATED_ALPHABET}]{10}$`);

Deno.test("fallbackUsername() follows the attempt schedule", () => {
  const random = seededRandom(7);
  assert.match(fallbackUsername("bob", 0, random), /^bob_[0-9]{4}$/);
  assert.match(fallbackUsername("bob", 4, random), /^bob_[0-9]{4}$/);
  assert.match(fallbackUsername("bob", 5, random), /^bob_[0-9]{6}$/);
  assert.match(fallbackUsername("bob", 9, random), /^bob_[0-9]{6}$/);
  assert.match(fallbackUsername("bob", 10, random), GENERATED);
  assert.match(fallbackUsername(null, 0, random), GENERATED);
});

Deno.test("fallbackUsername() truncates a long base to fit 30 characters", () => {
  const random = seededRandom(8);
  const base = "abcdefghij_klmnopqrstu.vwxyzab"; // 30 characters, "." at index 22
  assert.match(fallbackUsername(base, 0, random), /^abcdefghij_klmnopqrstu\.vw_[0-9]{4}$/);
  // Cut to 23 characters the base ends in "." before the suffix: that separator goes.
  assert.match(fallbackUsername(base, 5, random), /^abcdefghij_klmnopqrstu_[0-9]{6}$/);
});

Deno.test("fallbackUsername() generates instead of using an unusable base", () => {
  const random = seededRandom(9);
  for (const base of ["", "admin", "Bob", "bo..b", "1234", "fuckface", "b".repeat(31), "\u00e9"]) {
    assert.match(fallbackUsername(base, 0, random), GENERATED, base);
  }
});

Deno.test("fallbackUsername() generates when no suffix makes a valid name", () => {
  // 25 digits + 4 digits is phone-shaped whatever the draw, so the base is given up.
  const base = `${"1".repeat(25)}a`;
  assert.match(fallbackUsername(base, 0, seededRandom(10)), GENERATED);
});

Deno.test("fallbackUsername() gives up loudly on a random source that never varies", () => {
  // Every byte 0xff is refused by nanoid's rejection sampling, so no name can ever be drawn.
  const stuck = (bytes: number) => new Uint8Array(bytes).fill(255);
  assert.throws(() => fallbackUsername(null, 0, stuck), RangeError);
  assert.throws(() => fallbackUsername("bob", 0, stuck), RangeError);
});

Deno.test("fallbackUsername() is valid for any base, attempt and seed", () => {
  const bases = fc.oneof(
    anyLegacyValue.map((raw) => usernameCandidate(raw).base),
    fc.constantFrom("ab", "ix", "alex", "a".repeat(30), "x.y_z", null),
    fc.string({ unit: fc.constantFrom(..."ab19._"), maxLength: 32 }),
  );
  fc.assert(
    fc.property(bases, fc.integer({ min: 0, max: 20 }), fc.integer(), (base, attempt, seed) => {
      const name = fallbackUsername(base, attempt, seededRandom(seed));
      // A generated name is in the system's namespace: valid for the system, refused for users.
      const system = isSystemName(name);
      assert.deepEqual(validateUsername(name, { system }), { valid: true }, name);
      assert.equal(validateUsername(name).valid, !system, name);
    }),
    { numRuns: 10_000 },
  );
});
