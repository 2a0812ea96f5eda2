import assert from "node:assert/strict";
import fc from "fast-check";
import type { ReasonCode } from "./reason_codes.ts";
import { asciiLowerCase, repairAsciiName } from "./repair_username.ts";

// The repair written as the plain regex steps it must equal.
function referenceRepair(ascii: string): { name: string; reasons: ReasonCode[] } {
  const reasons: ReasonCode[] = [];
  let name = ascii.replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (/[^a-z0-9._]/.test(name)) reasons.push("INVALID_CHARS_REPLACED");
  name = name.replace(/[^a-z0-9._]+/g, "_");
  const trimmed = name.replace(/^[._]+|[._]+$/g, "");
  if (/[._]{2}/.test(trimmed)) reasons.push("SEPARATORS_COLLAPSED");
  if (trimmed !== name) reasons.push("EDGE_SEPARATORS");
  name = trimmed.replace(/([._])[._]+/g, "$1");
  if (name.length > 30) {
    reasons.push("TOO_LONG");
    name = name.slice(0, 30).replace(/[._]+$/, "");
  }
  return { name, reasons };
}

Deno.test("repairAsciiName() repairs into the username charset", async (t) => {
  const cases: [string, string, ReasonCode[]][] = [
    ["john smith", "john_smith", ["INVALID_CHARS_REPLACED"]],
    ["Bob.Smith", "bob.smith", []],
    ["..bob..", "bob", ["EDGE_SEPARATORS"]],
    ["bo._b", "bo.b", ["SEPARATORS_COLLAPSED"]],
    ["a!.b", "a_b", ["INVALID_CHARS_REPLACED", "SEPARATORS_COLLAPSED"]],
    ["a!!!b", "a_b", ["INVALID_CHARS_REPLACED"]],
    ["-bob-", "bob", ["INVALID_CHARS_REPLACED", "EDGE_SEPARATORS"]],
    ["!!!", "", ["INVALID_CHARS_REPLACED", "EDGE_SEPARATORS"]],
    [`${"a".repeat(29)}.bc`, "a".repeat(29), ["TOO_LONG"]],
  ];
  for (const [input, name, reasons] of cases) {
    await t.step(`${JSON.stringify(input)} becomes ${JSON.stringify(name)}`, () => {
      assert.deepEqual(repairAsciiName(input), { name, reasons });
    });
  }
});

Deno.test("repairAsciiName() equals the regex steps on any ASCII text", () => {
  const ascii = fc.string({ unit: fc.constantFrom(..."aZ09._-! "), maxLength: 45 });
  fc.assert(
    fc.property(fc.oneof(ascii, fc.string({ unit: "binary-ascii", maxLength: 45 })), (text) => {
      assert.deepEqual(repairAsciiName(text), referenceRepair(text));
    }),
    { numRuns: 10_000 },
  );
});

Deno.test("asciiLowerCase() lower-cases ASCII letters only", () => {
  assert.equal(asciiLowerCase("BOB"), "bob");
  assert.equal(asciiLowerCase("bob"), "bob");
  assert.equal(asciiLowerCase("\u0130STANBUL"), "\u0130stanbul");
  assert.equal(asciiLowerCase("\u00c9COLE"), "\u00c9cole");
});
