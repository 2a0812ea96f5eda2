import assert from "node:assert/strict";
import { asciiLowerCase } from "./ascii_lower_case.ts";

Deno.test("asciiLowerCase() lower-cases A to Z and leaves every other character alone", async (t) => {
  const cases: [string, string][] = [
    ["Bob.Smith", "bob.smith"],
    ["already_lower", "already_lower"],
    ["İvan", "İvan"],
    ["ÀÉÎ", "ÀÉÎ"],
    ["ＢＯＢ", "ＢＯＢ"],
    ["KELVIN\u212A", "kelvin\u212A"],
    ["", ""],
  ];
  for (const [input, expected] of cases) {
    await t.step(`${JSON.stringify(input)} becomes ${JSON.stringify(expected)}`, () => {
      assert.equal(asciiLowerCase(input), expected);
    });
  }
});
