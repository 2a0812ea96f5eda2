import assert from "node:assert/strict";
import { protectedNames } from "./protected_names.ts";
import { validateUsername } from "./validate_username.ts";

Deno.test("validateUsername() accepts good names", () => {
  for (const name of ["bob", "bob.smith", "user_ab12cd34ef", "scunthorpe", "adm1n", "1.2.3"]) {
    assert.deepEqual(validateUsername(name), { valid: true }, name);
  }
});

Deno.test("validateUsername() refuses with reasons", async (t) => {
  const cases: [string, string[]][] = [
    ["ab", ["TOO_SHORT"]],
    ["x".repeat(31), ["TOO_LONG"]],
    ["12345", ["ALL_DIGITS"]],
    ["Bob", ["BAD_SHAPE"]],
    ["bo..b", ["BAD_SHAPE"]],
    ["admin", ["RESERVED"]],
    ["ad.min", ["RESERVED"]],
    ["fuckface", ["PROFANE"]],
    ["415.555.0123", ["PHONE_SHAPED"]],
    ["me", ["TOO_SHORT"]],
  ];
  for (const [name, reasons] of cases) {
    await t.step(`${JSON.stringify(name)}: ${reasons.join(", ")}`, () => {
      assert.deepEqual(validateUsername(name), { valid: false, reasons });
    });
  }
});

Deno.test("validateUsername() refuses look-alikes of protected names", () => {
  const options = { protectedNames: protectedNames(["paypal", "microsoft"]) };
  for (const name of ["paypal", "paypa1", "pay.pal", "rnicrosoft"]) {
    assert.deepEqual(validateUsername(name, options), {
      valid: false,
      reasons: ["PROTECTED_LOOKALIKE"],
    }, name);
  }
  assert.deepEqual(validateUsername("bob", options), { valid: true });
});

Deno.test("validateUsername() blocks look-alikes of reserved names when asked", async () => {
  const { RESERVED_NAMES } = await import("./reserved_names.ts");
  const options = { protectedNames: protectedNames(RESERVED_NAMES) };
  assert.deepEqual(validateUsername("r00t", options), {
    valid: false,
    reasons: ["PROTECTED_LOOKALIKE"],
  });
});
