// The 57 cases of the legacy-username catalog (research: username anchors, §6), each with the
// decision the pure policy makes. Where a case needs context (who is older, what is taken, holds),
// the test pins the part the policy decides: the candidate key, the tier and the fallback base.
import assert from "node:assert/strict";
import {
  fallbackUsername,
  protectedNames,
  type ReasonCode,
  seededRandom,
  usernameCandidate,
  type UsernameCandidateOptions,
  usernameSkeleton,
  type UsernameTier,
  validateUsername,
} from "./mod.ts";

type Expected =
  | { tier: UsernameTier; username: string; reasons: ReasonCode[] }
  | { none: ReasonCode[]; base: string | null; resembles?: string };

interface CatalogCase {
  name: string;
  raw: string | null | undefined;
  expected: Expected;
  options?: UsernameCandidateOptions;
}

const brands = { protectedNames: protectedNames(["paypal", "microsoft", "google"]) };

const exact = (username: string): Expected => ({ tier: "exact", username, reasons: [] });
const normalized = (username: string, ...reasons: ReasonCode[]): Expected => ({
  tier: "normalized",
  username,
  reasons,
});
const derived = (username: string, ...reasons: ReasonCode[]): Expected => ({
  tier: "derived",
  username,
  reasons,
});
const none = (reasons: ReasonCode[], base: string | null = null): Expected => ({
  none: reasons,
  base,
});

const catalog: CatalogCase[] = [
  { name: "#1 a NULL value has no candidate", raw: null, expected: none(["MISSING"]) },
  { name: "#1 an undefined value has no candidate", raw: undefined, expected: none(["MISSING"]) },
  { name: "#2 an empty value has no candidate", raw: "", expected: none(["EMPTY"]) },
  { name: "#3 a whitespace-only value has none", raw: "   ", expected: none(["WHITESPACE_ONLY"]) },
  {
    name: "#4 a value of only control characters has none",
    raw: "\t\n",
    expected: none(["WHITESPACE_ONLY", "CONTROL_CHAR"]),
  },
  {
    name: "#4 a NUL inside a name is stripped",
    raw: "bo\u0000b",
    expected: derived("bob", "CONTROL_CHAR"),
  },
  {
    name: "#5 leading and trailing spaces are trimmed (normalized, so a pristine bob wins)",
    raw: "  bob  ",
    expected: normalized("bob", "TRIMMED"),
  },
  { name: "#6 a valid name is its own exact candidate", raw: "bob", expected: exact("bob") },
  { name: "#7 Bob lower-cases to the exact candidate bob", raw: "Bob", expected: exact("bob") },
  { name: "#8 BOB joins the same candidate", raw: "BOB", expected: exact("bob") },
  { name: "#8 bOb joins the same candidate", raw: "bOb", expected: exact("bob") },
  { name: "#9 Admin is reserved, with no base", raw: "Admin", expected: none(["RESERVED"]) },
  ...["support", "help", "api", "www", "login", "settings"].map((raw) => ({
    name: `#10 the route word ${raw} is reserved`,
    raw,
    expected: none(["RESERVED"]),
  })),
  ...["me", "u"].map((raw) => ({
    name: `#10 the route word ${raw} is reserved (and too short)`,
    raw,
    expected: none(["TOO_SHORT", "RESERVED"]),
  })),
  ...["null", "undefined", "nan", "true", "ghost"].map((raw) => ({
    name: `#11 the sentinel ${raw} is reserved`,
    raw,
    expected: none(["RESERVED"]),
  })),
  {
    name: "#11 the sentinel [deleted] is reserved once repaired",
    raw: "[deleted]",
    expected: none(["INVALID_CHARS_REPLACED", "EDGE_SEPARATORS", "RESERVED"]),
  },
  ...["con", "nul", "aux", "com1"].map((raw) => ({
    name: `#12 the Windows device name ${raw} is reserved`,
    raw,
    expected: none(["RESERVED"]),
  })),
  {
    name: "#13 a protected brand is held back from a legacy holder",
    raw: "paypal",
    options: brands,
    expected: { ...none(["PROTECTED_LOOKALIKE"]), resembles: "paypal" },
  },
  {
    name: "#14 a Cyrillic homoglyph of a protected brand is blocked",
    raw: "p\u0430ypal",
    options: brands,
    expected: {
      ...none(["TRANSLITERATED", "MIXED_SCRIPT", "HOMOGLYPH", "PROTECTED_LOOKALIKE"]),
      resembles: "paypal",
    },
  },
  {
    name: "#15 a Cyrillic spoof of a reserved name is blocked",
    raw: "\u0430dmin",
    expected: none(["TRANSLITERATED", "MIXED_SCRIPT", "HOMOGLYPH", "RESERVED"]),
  },
  {
    name: "#15 a Greek spoof of a protected name is blocked",
    raw: "g\u03BFogle",
    options: brands,
    expected: {
      ...none(["TRANSLITERATED", "MIXED_SCRIPT", "HOMOGLYPH", "PROTECTED_LOOKALIKE"]),
      resembles: "google",
    },
  },
  {
    name: "#16 full-width letters fold to ASCII",
    raw: "\uFF22\uFF4F\uFF42",
    expected: normalized("bob", "STYLIZED"),
  },
  {
    name: "#17 math bold letters fold to ASCII",
    raw: "\u{1D401}\u{1D428}\u{1D41B}",
    expected: normalized("bob", "STYLIZED"),
  },
  {
    name: "#17 circled letters fold to ASCII",
    raw: "\u24B7\u24C4\u24B7",
    expected: normalized("bob", "STYLIZED"),
  },
  { name: "#18 a ligature unfolds", raw: "\uFB01sh", expected: normalized("fish", "STYLIZED") },
  {
    name: "#19 the Kelvin sign becomes k",
    raw: "\u212Aevin",
    expected: normalized("kevin", "STYLIZED"),
  },
  {
    name: "#20 a Roman numeral gives a base too short for a name",
    raw: "\u2168",
    expected: none(["STYLIZED", "TOO_SHORT"], "ix"),
  },
  {
    name: "#21 an emoji is stripped",
    raw: "bob\u{1F600}",
    expected: derived("bob", "PICTOGRAPHIC"),
  },
  {
    name: "#22 emoji only leaves nothing (never :grinning:)",
    raw: "\u{1F600}\u{1F600}",
    expected: none(["NO_USABLE_CHARS", "PICTOGRAPHIC"]),
  },
  {
    name: "#23 a zero-width space is stripped",
    raw: "bo\u200Bb",
    expected: derived("bob", "INVISIBLE_CHARS"),
  },
  {
    name: "#23 a zero-width joiner is stripped",
    raw: "bo\u200Db",
    expected: derived("bob", "INVISIBLE_CHARS"),
  },
  {
    name: "#24 a soft hyphen is stripped",
    raw: "bo\u00ADb",
    expected: derived("bob", "INVISIBLE_CHARS"),
  },
  {
    name: "#24 a variation selector is stripped",
    raw: "bob\uFE0F",
    expected: derived("bob", "INVISIBLE_CHARS"),
  },
  {
    name: "#25 a tag character is stripped before transliteration (not boba)",
    raw: "bob\u{E0041}",
    expected: derived("bob", "TAG_CHARS"),
  },
  {
    name: "#26 a bidi override is stripped",
    raw: "\u202Eevil",
    expected: derived("evil", "BIDI"),
  },
  {
    name: "#26 bidi isolates are stripped, leaving a short base",
    raw: "\u2066x\u2069",
    expected: none(["BIDI", "TOO_SHORT"], "x"),
  },
  {
    name: "#27 the invisible Hangul filler leaves nothing",
    raw: "\u3164",
    expected: none(["NO_USABLE_CHARS", "INVISIBLE_CHARS"]),
  },
  {
    name: "#28 a no-break space becomes a separator",
    raw: "bo\u00A0b",
    expected: derived("bo_b", "INVALID_CHARS_REPLACED"),
  },
  {
    name: "#28 an inner space becomes a separator",
    raw: "john smith",
    expected: derived("john_smith", "INVALID_CHARS_REPLACED"),
  },
  {
    name: "#29 SQL-looking text gets a generated fallback, never a name made of its words",
    raw: "bob'; DROP TABLE users;--",
    expected: none(["CODE_LIKE"]),
  },
  {
    name: "#30 markup gets a generated fallback, never a name made of its words",
    raw: "<script>alert(1)</script>",
    expected: none(["MARKUP"]),
  },
  {
    name: "#31 an all-digit value gets no candidate and no base (it may be an id)",
    raw: "12345",
    expected: none(["ALL_DIGITS"]),
  },
  {
    name: "#32 a one-digit value is too short, with no base",
    raw: "0",
    expected: none(["TOO_SHORT", "ALL_DIGITS"]),
  },
  {
    name: "#32 a two-letter value is too short but is a base",
    raw: "ab",
    expected: none(["TOO_SHORT"], "ab"),
  },
  {
    name: "#33 a long value is truncated to 30",
    raw: "a".repeat(100),
    expected: derived("a".repeat(30), "TOO_LONG"),
  },
  {
    name: "#34 a huge value is refused before normalising",
    raw: "\u5C71".repeat(5000),
    expected: none(["OVERSIZE"]),
  },
  {
    name: "#35 edge periods are trimmed",
    raw: "..bob..",
    expected: derived("bob", "EDGE_SEPARATORS"),
  },
  {
    name: "#35 a leading period is trimmed",
    raw: ".bob",
    expected: derived("bob", "EDGE_SEPARATORS"),
  },
  {
    name: "#35 a trailing period is trimmed",
    raw: "bob.",
    expected: derived("bob", "EDGE_SEPARATORS"),
  },
  {
    name: "#36 doubled periods collapse",
    raw: "bo..b",
    expected: derived("bo.b", "SEPARATORS_COLLAPSED"),
  },
  {
    name: "#36 mixed separators collapse to the first",
    raw: "bo._b",
    expected: derived("bo.b", "SEPARATORS_COLLAPSED"),
  },
  {
    name: "#37 edge underscores are trimmed",
    raw: "__bob__",
    expected: derived("bob", "EDGE_SEPARATORS"),
  },
  {
    name: "#37 edge hyphens are replaced and trimmed",
    raw: "-bob-",
    expected: derived("bob", "INVALID_CHARS_REPLACED", "EDGE_SEPARATORS"),
  },
  {
    name: "#38 Bob.Smith is exact once lower-cased",
    raw: "Bob.Smith",
    expected: exact("bob.smith"),
  },
  {
    name: "#39 bob_smith is exact (grandfathered)",
    raw: "bob_smith",
    expected: exact("bob_smith"),
  },
  {
    name: "#40 paypa1 looks like a protected brand",
    raw: "paypa1",
    options: brands,
    expected: { ...none(["PROTECTED_LOOKALIKE"]), resembles: "paypal" },
  },
  {
    name: "#40 rnicrosoft looks like a protected brand",
    raw: "rnicrosoft",
    options: brands,
    expected: { ...none(["PROTECTED_LOOKALIKE"]), resembles: "microsoft" },
  },
  {
    name: "#41 percent-encoding is never decoded",
    raw: "bob%20smith",
    expected: derived("bob_20smith", "ENCODED", "INVALID_CHARS_REPLACED"),
  },
  {
    name: "#42 an e-mail address never becomes a handle or a base",
    raw: "bob@example.com",
    expected: none(["EMAIL_SHAPED"]),
  },
  {
    name: "#43 a phone number never becomes a handle or a base",
    raw: "+14155550123",
    expected: none(["PHONE_SHAPED"]),
  },
  {
    name: "#44 a composed accent is removed",
    raw: "b\u00e9b\u00e9",
    expected: derived("bebe", "MARKS_REMOVED"),
  },
  {
    name: "#44 a decomposed accent gives the same candidate and reasons",
    raw: "be\u0301be\u0301",
    expected: derived("bebe", "MARKS_REMOVED"),
  },
  {
    name: "#45 zalgo marks are removed",
    raw: "Z\u0337\u0322a\u0336lgo",
    expected: derived("zalgo", "MARKS_REMOVED"),
  },
  {
    name: "#46 Turkish dotted I is never lower-cased to i + U+0307",
    raw: "\u0130stanbul",
    expected: derived("istanbul", "MARKS_REMOVED"),
  },
  {
    name: "#47 Turkish dotless i transliterates (and is a homoglyph of i)",
    raw: "\u0131stanbul",
    expected: derived("istanbul", "TRANSLITERATED", "HOMOGLYPH"),
  },
  {
    name: "#48 Straße transliterates to a derived strasse",
    raw: "Stra\u00dfe",
    expected: derived("strasse", "TRANSLITERATED"),
  },
  { name: "#48 STRASSE is an exact strasse", raw: "STRASSE", expected: exact("strasse") },
  {
    name: "#49 Greek transliterates",
    raw: "\u0391\u03BB\u03AD\u03BE\u03B7\u03C2",
    expected: derived("alexis", "MARKS_REMOVED", "TRANSLITERATED"),
  },
  {
    name: "#49 Cyrillic transliterates",
    raw: "\u041C\u043E\u0441\u043A\u0432\u0430",
    expected: derived("moskva", "TRANSLITERATED"),
  },
  ...[
    ["Han", "\u5C71\u7530\u592A\u90CE"],
    ["Arabic", "\u0645\u062D\u0645\u062F"],
    ["Hangul", "\uAE40\uBBFC\uC900"],
  ].map(([script, raw]) => ({
    name: `#50 ${script} gets no handle and no base`,
    raw,
    expected: none(["UNSUPPORTED_SCRIPT"]),
  })),
  {
    name: "#51 Latin mixed with Hebrew keeps the Latin part",
    raw: "abc\u05D0\u05D1",
    expected: derived("abc", "MIXED_SCRIPT"),
  },
  { name: "#52 Scunthorpe is not profane", raw: "scunthorpe", expected: exact("scunthorpe") },
  { name: "#53 a profane name is blocked", raw: "fuckface", expected: none(["PROFANE"]) },
  { name: "#53 leetspeak profanity is blocked", raw: "sh1tlord", expected: none(["PROFANE"]) },
  {
    name: "#53 ligature-obfuscated profanity is blocked",
    raw: "\uFB00uck",
    expected: none(["STYLIZED", "PROFANE"]),
  },
  {
    name: "#54 a name shaped like a generated one is exact",
    raw: "user_ab12cd34ef",
    expected: exact("user_ab12cd34ef"),
  },
  {
    name: "#55 a tombstoned account's name is still its exact candidate (the caller holds it)",
    raw: "bob",
    expected: exact("bob"),
  },
  { name: "#56 a popular base is an exact candidate", raw: "alex", expected: exact("alex") },
];

Deno.test("usernameCandidate() decides every catalog case", async (t) => {
  for (const { name, raw, expected, options } of catalog) {
    await t.step(name, () => {
      const actual = usernameCandidate(raw, options);
      if ("none" in expected) {
        const { none: reasons, base, resembles } = expected;
        assert.deepEqual(
          actual,
          resembles === undefined
            ? { kind: "none", reasons, base }
            : { kind: "none", reasons, base, resembles },
        );
      } else {
        assert.deepEqual(actual, { kind: "candidate", ...expected, base: expected.username });
        assert.deepEqual(validateUsername(expected.username, options), { valid: true });
      }
    });
  }
});

Deno.test("usernameCandidate() gives case duplicates one key (#7, #8)", () => {
  const names = ["Bob", "bob", "BOB", "bOb"].map((raw) => usernameCandidate(raw));
  for (const candidate of names) {
    assert.equal(candidate.kind, "candidate");
    assert.equal(candidate.kind === "candidate" && candidate.username, "bob");
    assert.equal(candidate.kind === "candidate" && candidate.tier, "exact");
  }
});

Deno.test("usernameCandidate() ranks a trimmed bob below a pristine bob (#5)", () => {
  const pristine = usernameCandidate("bob");
  const trimmed = usernameCandidate("  bob  ");
  assert.ok(pristine.kind === "candidate" && trimmed.kind === "candidate");
  assert.equal(pristine.username, trimmed.username);
  assert.deepEqual([pristine.tier, trimmed.tier], ["exact", "normalized"]);
});

Deno.test("usernameCandidate() lets STRASSE beat Straße for strasse (#48)", () => {
  const upper = usernameCandidate("STRASSE");
  const german = usernameCandidate("Stra\u00dfe");
  assert.ok(upper.kind === "candidate" && german.kind === "candidate");
  assert.equal(upper.username, german.username);
  assert.deepEqual([upper.tier, german.tier], ["exact", "derived"]);
});

Deno.test("usernameCandidate() gives NFC and NFD spellings one key (#44)", () => {
  assert.deepEqual(usernameCandidate("b\u00e9b\u00e9"), usernameCandidate("be\u0301be\u0301"));
});

Deno.test("usernameCandidate() gives dotted and dotless Istanbul one key (#46, #47)", () => {
  const dotted = usernameCandidate("\u0130stanbul");
  const dotless = usernameCandidate("\u0131stanbul");
  assert.ok(dotted.kind === "candidate" && dotless.kind === "candidate");
  assert.equal(dotted.username, dotless.username);
});

Deno.test("usernameSkeleton() pairs separator twins for new sign-ups (#39)", () => {
  assert.equal(usernameSkeleton("bob_smith"), usernameSkeleton("bob.smith"));
  const existing = protectedNames(["bob.smith"]);
  assert.deepEqual(validateUsername("bob_smith", { protectedNames: existing }), {
    valid: false,
    reasons: ["PROTECTED_LOOKALIKE"],
    resembles: "bob.smith",
  });
});

Deno.test("usernameCandidate() lets a legacy paypal through when it is not protected (#13)", () => {
  assert.deepEqual(usernameCandidate("paypal"), {
    kind: "candidate",
    tier: "exact",
    username: "paypal",
    reasons: [],
    base: "paypal",
  });
});

Deno.test("fallbackUsername() widens a popular base, then generates (#56)", () => {
  const random = seededRandom(56);
  const base = usernameCandidate("alex").base;
  const names = Array.from({ length: 12 }, (_, attempt) => fallbackUsername(base, attempt, random));
  names.slice(0, 5).forEach((name) => assert.match(name, /^alex_[0-9]{4}$/));
  names.slice(5, 10).forEach((name) => assert.match(name, /^alex_[0-9]{6}$/));
  names.slice(10).forEach((name) => assert.match(name, /^user_[6-9b-z]{10}$/));
});

Deno.test("fallbackUsername() builds on a short base or generates (#20, #31, #32)", () => {
  const random = seededRandom(20);
  assert.match(fallbackUsername(usernameCandidate("\u2168").base, 0, random), /^ix_[0-9]{4}$/);
  assert.match(fallbackUsername(usernameCandidate("ab").base, 0, random), /^ab_[0-9]{4}$/);
  assert.match(fallbackUsername(usernameCandidate("12345").base, 0, random), /^user_/);
  assert.match(fallbackUsername(usernameCandidate("0").base, 0, random), /^user_/);
});

Deno.test("fallbackUsername() never builds on a blocked value (#9, #42, #43, #53)", () => {
  const random = seededRandom(42);
  for (const raw of ["Admin", "bob@example.com", "+14155550123", "fuckface"]) {
    const candidate = usernameCandidate(raw);
    assert.equal(candidate.base, null);
    assert.match(fallbackUsername(candidate.base, 0, random), /^user_[6-9b-z]{10}$/);
  }
});

Deno.test("usernameCandidate() decides the same way on every run (#57)", () => {
  for (const { raw, options } of catalog) {
    assert.deepEqual(usernameCandidate(raw, options), usernameCandidate(raw, options));
  }
});
