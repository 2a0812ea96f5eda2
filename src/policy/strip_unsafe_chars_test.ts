import assert from "node:assert/strict";
import { stripUnsafeChars } from "./strip_unsafe_chars.ts";

Deno.test("stripUnsafeChars() removes each kind of unsafe character with its reason", async (t) => {
  const cases: [string, string, string, string[]][] = [
    ["a bidi override", "\u202Eevil", "evil", ["BIDI"]],
    ["a tag character", "bob\u{E0041}", "bob", ["TAG_CHARS"]],
    ["a zero-width space", "bo\u200Bb", "bob", ["INVISIBLE_CHARS"]],
    ["a NUL", "bo\u0000b", "bob", ["CONTROL_CHAR"]],
    ["a tab, which becomes a space", "bo\tb", "bo b", ["CONTROL_CHAR"]],
    ["an emoji with a skin tone", "bob\u{1F44D}\u{1F3FD}", "bob", ["PICTOGRAPHIC"]],
    ["a flag", "bob\u{1F1FA}\u{1F1F8}", "bob", ["PICTOGRAPHIC"]],
    ["a control in non-ASCII text", "b\u00f6\u0007b", "b\u00f6b", ["CONTROL_CHAR"]],
    ["nothing from a clean name", "b\u00f6b", "b\u00f6b", []],
    ["nothing from clean ASCII", "bob", "bob", []],
  ];
  for (const [name, input, text, reasons] of cases) {
    await t.step(name, () => assert.deepEqual(stripUnsafeChars(input), { text, reasons }));
  }
});

Deno.test("stripUnsafeChars() reports several kinds at once", () => {
  assert.deepEqual(stripUnsafeChars("\u202Eb\u200Bo\u0000b\u{1F600}\u{E0041}"), {
    text: "bob",
    reasons: ["BIDI", "TAG_CHARS", "INVISIBLE_CHARS", "CONTROL_CHAR", "PICTOGRAPHIC"],
  });
});

Deno.test("stripUnsafeChars() removes terminal escape sequences whole", () => {
  assert.deepEqual(stripUnsafeChars("\x1b[31malex\x1b[0m"), {
    text: "alex",
    reasons: ["TERMINAL_ESCAPE"],
  });
  assert.deepEqual(stripUnsafeChars("\x1b]0;title\x07bob"), {
    text: "bob",
    reasons: ["TERMINAL_ESCAPE"],
  });
  assert.deepEqual(stripUnsafeChars("\x1b[1;32mb\u00f6b\x1b[m"), {
    text: "b\u00f6b",
    reasons: ["TERMINAL_ESCAPE"],
  });
});
