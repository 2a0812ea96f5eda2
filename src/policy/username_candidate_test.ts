import assert from "node:assert/strict";
import fc from "fast-check";
import { anyLegacyValue } from "./testdata/legacy_values.ts";
import { protectedNames } from "./protected_names.ts";
import { usernameCandidate } from "./username_candidate.ts";
import { validateUsername } from "./validate_username.ts";

const brands = { protectedNames: protectedNames(["paypal", "google", "bobby"]) };

Deno.test("usernameCandidate() returns a valid name or none for any string, never throwing", () => {
  fc.assert(
    fc.property(anyLegacyValue, fc.boolean(), (raw, withBrands) => {
      const options = withBrands ? brands : {};
      const candidate = usernameCandidate(raw, options);
      if (candidate.kind === "candidate") {
        assert.deepEqual(validateUsername(candidate.username, options), { valid: true });
        assert.equal(candidate.base, candidate.username);
      } else {
        assert.ok(candidate.reasons.length > 0);
        assert.ok(candidate.base === null || /^[a-z0-9._]{1,30}$/.test(candidate.base));
      }
    }),
    { numRuns: 10_000 },
  );
});

Deno.test("usernameCandidate() decides the same input the same way", () => {
  fc.assert(
    fc.property(anyLegacyValue, (raw) => {
      assert.deepEqual(usernameCandidate(raw, brands), usernameCandidate(raw, brands));
    }),
    { numRuns: 10_000 },
  );
});

Deno.test("usernameCandidate() gives the exact tier no reasons", () => {
  assert.deepEqual(usernameCandidate("Bob.Smith_2"), {
    kind: "candidate",
    tier: "exact",
    username: "bob.smith_2",
    reasons: [],
    base: "bob.smith_2",
  });
});

Deno.test("usernameCandidate() counts code points, not UTF-16 units, for OVERSIZE", () => {
  const emoji = "\u{1D41A}".repeat(256); // 512 UTF-16 units, 256 code points
  assert.equal(usernameCandidate(emoji).kind, "candidate");
  assert.deepEqual(usernameCandidate(emoji + "a").reasons, ["OVERSIZE"]);
  assert.deepEqual(usernameCandidate("a".repeat(257)).reasons, ["OVERSIZE"]);
  assert.deepEqual(usernameCandidate("a".repeat(256)).reasons, ["TOO_LONG"]);
});

Deno.test("usernameCandidate() keeps lone surrogates from throwing", () => {
  assert.deepEqual(usernameCandidate("bo\uDC00b"), {
    kind: "candidate",
    tier: "derived",
    username: "bo_b",
    reasons: ["INVALID_CHARS_REPLACED"],
    base: "bo_b",
  });
  assert.equal(usernameCandidate("\uD800").kind, "none");
});

Deno.test("usernameCandidate() never derives from personal data", async (t) => {
  const cases: [string, string][] = [
    ["an address with a zero-width space", "bob\u200B@example.com"],
    ["a full-width address", "bob\uFF20example.com"],
    ["an address with an ideographic full stop", "bob@example\u3002com"],
    ["a non-ASCII address", "\u5C71\u7530@example.jp"],
    ["a formatted phone number", "(415) 555-0123"],
    [
      "a full-width phone number",
      "\uFF0B\uFF11\uFF14\uFF11\uFF15\uFF15\uFF15\uFF15\uFF10\uFF11\uFF12",
    ],
    ["a phone number in a valid shape", "415.555.0123"],
  ];
  for (const [name, raw] of cases) {
    await t.step(name, () => {
      const candidate = usernameCandidate(raw);
      assert.equal(candidate.kind, "none");
      assert.equal(candidate.base, null);
      assert.ok(
        candidate.reasons.includes("EMAIL_SHAPED") || candidate.reasons.includes("PHONE_SHAPED"),
      );
    });
  }
});

Deno.test("usernameCandidate() blocks a whole-script look-alike of a protected name", () => {
  // Cyrillic р, а, у: transliterated it reads "rayral", but it looks like "paypal".
  const candidate = usernameCandidate("\u0440\u0430\u0443\u0440al", brands);
  assert.equal(candidate.kind, "none");
  assert.ok(candidate.reasons.includes("PROTECTED_LOOKALIKE"));
});

Deno.test("usernameCandidate() flags an unprotected homoglyph but still derives it", () => {
  assert.deepEqual(usernameCandidate("b\u043Eb"), {
    kind: "candidate",
    tier: "derived",
    username: "bob",
    reasons: ["TRANSLITERATED", "MIXED_SCRIPT", "HOMOGLYPH"],
    base: "bob",
  });
});

Deno.test("usernameCandidate() keeps Latin letters from a value mixed with Han", () => {
  const candidate = usernameCandidate("Taro\u5C71\u7530");
  assert.equal(candidate.kind === "candidate" && candidate.username, "taro");
  assert.deepEqual(usernameCandidate("\u5C71\u7530123").reasons, ["UNSUPPORTED_SCRIPT"]);
});

Deno.test("usernameCandidate() transliterates Cyrillic letters whole", () => {
  const candidate = usernameCandidate("\u0410\u043D\u0434\u0440\u0435\u0439");
  assert.equal(candidate.kind === "candidate" && candidate.username, "andrey");
});

Deno.test("usernameCandidate() reports entity encoding", () => {
  const candidate = usernameCandidate("bob&amp;alice");
  assert.equal(candidate.kind === "candidate" && candidate.username, "bob_amp_alice");
  assert.ok(candidate.reasons.includes("ENCODED"));
});

Deno.test("usernameCandidate() reports an unusable value as having no usable characters", () => {
  assert.deepEqual(usernameCandidate("!!!"), {
    kind: "none",
    reasons: ["NO_USABLE_CHARS", "INVALID_CHARS_REPLACED", "EDGE_SEPARATORS"],
    base: null,
  });
});

Deno.test("usernameCandidate() treats a non-string as missing", () => {
  assert.deepEqual(usernameCandidate(42 as unknown as string).reasons, ["MISSING"]);
});
