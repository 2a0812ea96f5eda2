import assert from "node:assert/strict";
import { applyScriptPolicy } from "./script_policy.ts";

Deno.test("applyScriptPolicy() accepts one supported script", () => {
  for (const text of ["bob", "\u041C\u043E\u0441\u043A\u0432\u0430", "\u0391\u03BB\u03AD\u03BE"]) {
    assert.deepEqual(applyScriptPolicy(text), { text, reasons: [], unsupported: false });
  }
});

Deno.test("applyScriptPolicy() flags Latin mixed with Cyrillic", () => {
  assert.deepEqual(applyScriptPolicy("p\u0430ypal"), {
    text: "p\u0430ypal",
    reasons: ["MIXED_SCRIPT"],
    unsupported: false,
  });
});

Deno.test("applyScriptPolicy() keeps the Latin part of a mixed value", () => {
  assert.deepEqual(applyScriptPolicy("abc\u05D0\u05D1"), {
    text: "abc  ",
    reasons: ["MIXED_SCRIPT"],
    unsupported: false,
  });
});

Deno.test("applyScriptPolicy() refuses values only in unsupported scripts", () => {
  for (const text of ["\u5C71\u7530", "\u0645\u062D\u0645\u062F", "\uAE40 123", "\u0661\u0662"]) {
    assert.deepEqual(applyScriptPolicy(text), {
      text,
      reasons: ["UNSUPPORTED_SCRIPT"],
      unsupported: true,
    });
  }
});
