import assert from "node:assert/strict";
import { protectedNames } from "./protected_names.ts";
import { RESERVED_NAMES } from "./reserved_names.ts";
import { systemName } from "./system_names.ts";
import { seededRandom } from "./random.ts";
import { validateUsername } from "./validate_username.ts";

Deno.test("validateUsername() accepts good names", () => {
  for (const name of ["bob", "bob.smith", "user_ab12cd34ef", "scunthorpe", "degroot", "mood"]) {
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
    ["1.00", ["NUMBER_LIKE"]],
    ["0.0.0", ["NUMBER_LIKE"]],
    ["10.0.0.1", ["NUMBER_LIKE"]],
    ["0xffffffff", ["NUMBER_LIKE"]],
    ["1e10", ["NUMBER_LIKE"]],
    ["infinity", ["RESERVED"]],
    ["proto", ["RESERVED"]],
    ["constructor", ["RESERVED"]],
    ["hasownproperty", ["RESERVED"]],
    ["localhost", ["RESERVED"]],
    ["webmail", ["RESERVED"]],
    ["oauth2", ["RESERVED"]],
  ];
  for (const [name, reasons] of cases) {
    await t.step(`${JSON.stringify(name)}: ${reasons.join(", ")}`, () => {
      const verdict = validateUsername(name);
      assert.equal(verdict.valid, false);
      assert.deepEqual(!verdict.valid && verdict.reasons, reasons);
    });
  }
});

Deno.test("validateUsername() refuses the system's own namespace unless the system asks", () => {
  const random = seededRandom(7);
  for (const prefix of ["user", "deleted"] as const) {
    const name = systemName(prefix, random);
    assert.deepEqual(validateUsername(name), { valid: false, reasons: ["RESERVED"] }, name);
    assert.deepEqual(validateUsername(name, { system: true }), { valid: true }, name);
  }
});

Deno.test("validateUsername() refuses look-alikes of reserved names without being asked", () => {
  for (const [name, root] of [["r00t", "root"], ["adm1n", "admin"], ["admin_team", "admin"]]) {
    assert.deepEqual(validateUsername(name!), {
      valid: false,
      reasons: ["PROTECTED_LOOKALIKE"],
      resembles: root,
    });
  }
  assert.ok(RESERVED_NAMES.has("root"));
});

Deno.test("validateUsername() refuses look-alikes of the operator's protected names", () => {
  const options = { protectedNames: protectedNames(["paypal", "microsoft"]) };
  for (const name of ["paypal", "paypa1", "pay.pal", "rnicrosoft", "paypal_support", "my_paypal"]) {
    const verdict = validateUsername(name, options);
    assert.equal(verdict.valid, false, name);
    assert.deepEqual(!verdict.valid && verdict.reasons, ["PROTECTED_LOOKALIKE"], name);
  }
  assert.deepEqual(validateUsername("bob", options), { valid: true });
});
