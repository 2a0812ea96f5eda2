import assert from "node:assert/strict";
import {
  DISPLAY_NAME_MAX_CODE_POINTS,
  DISPLAY_NAME_RAW_MAX_CODE_POINTS,
  sanitizeDisplayName,
} from "./display_name.ts";

Deno.test("sanitizeDisplayName() keeps ordinary names, Unicode and emoji as they are", async (t) => {
  const names = [
    "Ada Lovelace",
    "",
    "José Núñez",
    "Москва",
    "山田 太郎",
    "مريم",
    "Zoë 🎉",
    "👩‍💻 coder", // a ZWJ sequence
    "👍🏽 thumbs", // a skin tone
    "❤️ love", // a pictograph and its emoji selector
    "👨🏽‍🚀 space", // skin tone, then a joiner
    "x".repeat(DISPLAY_NAME_MAX_CODE_POINTS),
  ];
  for (const name of names) {
    await t.step(JSON.stringify(name).slice(0, 40), () => {
      assert.deepEqual(sanitizeDisplayName(name), { text: name, reasons: [] });
    });
  }
});

Deno.test("sanitizeDisplayName() removes controls, bidi, invisible characters and escapes", async (t) => {
  const cases: [string, string, string][] = [
    ["NUL", "Ada\u0000Lovelace", "AdaLovelace"],
    ["other C0 and C1 controls", "A\u0001d\u007fa\u0090", "Ada"],
    ["line breaks and tabs become spaces", "Ada\nLove\tlace\r\u2028x", "Ada Love lace  x"],
    ["a right-to-left override", "\u202Egnp.exe", "gnp.exe"],
    ["isolates and marks", "\u2066Ada\u2069\u200F\u061C", "Ada"],
    ["zero-width space, non-joiner, word joiner", "A\u200Bd\u200Ca\u2060", "Ada"],
    ["a joiner between letters", "A\u200Dda", "Ada"],
    ["a byte order mark and a soft hyphen", "\uFEFFAda\u00AD", "Ada"],
    ["Hangul fillers that look like a blank name", "\u3164\u115F", ""],
    ["tag characters", "Ada\u{E0041}\u{E007F}", "Ada"],
    ["variation selectors off emoji", "A\uFE0Fda\u{E0100}", "Ada"],
    ["an ANSI colour, whole", "\x1b[31mAda\x1b[0m", "Ada"],
    ["an OSC title sequence, whole", "\x1b]0;pwned\x07Ada", "Ada"],
    ["a lone surrogate", "Ada\uD800", "Ada"],
    ["noncharacters", "Ada\uFFFF\uFDD0", "Ada"],
    ["a joiner with nothing to join", "👩\u200D", "👩"],
  ];
  for (const [what, raw, text] of cases) {
    await t.step(what, () => {
      assert.deepEqual(sanitizeDisplayName(raw), { text, reasons: ["DISPLAY_NAME_CLEANED"] });
    });
  }
});

Deno.test("sanitizeDisplayName() cuts at 256 code points, never inside a pair", async (t) => {
  const cases: [string, string, string][] = [
    ["ASCII", "a".repeat(300), "a".repeat(256)],
    ["astral characters", "😀".repeat(300), "😀".repeat(256)],
    ["an astral character across the limit", "a".repeat(255) + "😀😀", "a".repeat(255) + "😀"],
    ["a joiner left at the cut", "a".repeat(255) + "👩\u200D💻", "a".repeat(255) + "👩"],
  ];
  for (const [what, raw, text] of cases) {
    await t.step(what, () => {
      assert.deepEqual(sanitizeDisplayName(raw), { text, reasons: ["DISPLAY_NAME_TRUNCATED"] });
    });
  }
  await t.step("cleaned first, then cut: both reasons", () => {
    const raw = "\u200B".repeat(100) + "b".repeat(300);
    assert.deepEqual(sanitizeDisplayName(raw), {
      text: "b".repeat(256),
      reasons: ["DISPLAY_NAME_CLEANED", "DISPLAY_NAME_TRUNCATED"],
    });
  });
  await t.step("invisible characters do not count towards the limit", () => {
    const raw = "\u200B".repeat(500) + "b".repeat(256);
    assert.deepEqual(sanitizeDisplayName(raw), {
      text: "b".repeat(256),
      reasons: ["DISPLAY_NAME_CLEANED"],
    });
  });
  await t.step("only the first 1,024 code points are looked at", () => {
    const raw = "\u200B".repeat(DISPLAY_NAME_RAW_MAX_CODE_POINTS) + "lost";
    assert.deepEqual(sanitizeDisplayName(raw), {
      text: "",
      reasons: ["DISPLAY_NAME_CLEANED", "DISPLAY_NAME_TRUNCATED"],
    });
  });
});

Deno.test("sanitizeDisplayName() takes 10 MB in stride and gives what its prefix gives", () => {
  const huge = "\u202E" + "é".repeat(10 * 1024 * 1024);
  const started = performance.now();
  const result = sanitizeDisplayName(huge);
  assert.ok(performance.now() - started < 1_000);
  assert.equal(result.text, "é".repeat(256));
  assert.deepEqual(result.reasons, ["DISPLAY_NAME_CLEANED", "DISPLAY_NAME_TRUNCATED"]);
  // What the snapshot reads: the first 1,025 code points.
  const prefix = [...huge.slice(0, 2_000)].slice(0, DISPLAY_NAME_RAW_MAX_CODE_POINTS + 1).join("");
  assert.deepEqual(sanitizeDisplayName(prefix), result);
});

Deno.test("sanitizeDisplayName() is idempotent", async (t) => {
  const values = [
    "\u202E\x1b[1mA\u200Bda\u0000 👩‍💻\u200D",
    "😀".repeat(1_100),
    "a\u200D".repeat(600),
    "\uD83D".repeat(5) + "x",
  ];
  for (const value of values) {
    await t.step(JSON.stringify(value.slice(0, 20)), () => {
      const once = sanitizeDisplayName(value).text;
      assert.deepEqual(sanitizeDisplayName(once), { text: once, reasons: [] });
    });
  }
});
