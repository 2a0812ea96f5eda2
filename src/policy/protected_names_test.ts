import assert from "node:assert/strict";
import { protectedFold } from "./protected_fold.ts";
import { PROTECTED_AFFIXES, protectedNames, RESERVED_PROTECTED } from "./protected_names.ts";

Deno.test("protectedFold() reads the usual ASCII tricks as the letters they imitate", async (t) => {
  const cases: [string, string][] = [
    ["adm1n", "admin"],
    ["ADMIN", "admin"],
    ["r00t", "root"],
    ["5upport", "support"],
    ["$upport", "support"],
    ["4dmin", "admin"],
    ["@dmin", "admin"],
    ["h3lp", "help"],
    ["st4ff", "staff"],
    ["adrnin", "admin"],
    ["vvebmaster", "webmaster"],
    ["a.d.m.i.n", "admin"],
    ["a_d-m i.n", "admin"],
    ["\u0430dmin", "admin"],
    ["\u0455upport", "support"],
  ];
  for (const [variant, original] of cases) {
    await t.step(`${variant} folds like ${original}`, () => {
      assert.equal(protectedFold(variant), protectedFold(original));
    });
  }
});

Deno.test("RESERVED_PROTECTED finds the protected name behind each evasion class", async (t) => {
  const classes: Record<string, [string, string][]> = {
    "digits and symbols for letters": [
      ["adm1n", "admin"],
      ["r00t", "root"],
      ["4dmin", "admin"],
      ["supp0rt", "support"],
      ["5upport", "support"],
      ["m0derator", "moderator"],
      ["0fficial", "official"],
      ["h3lp", "help"],
      ["st4ff", "staff"],
      ["s3curity", "security"],
      ["syst3m", "system"],
    ],
    "letter pairs read as one": [["adrnin", "admin"], ["systern", "system"]],
    "separators anywhere": [["a.d.m.i.n", "admin"], ["sup_port", "support"]],
    "letters repeated": [["aadmin", "admin"], ["suppport", "support"], ["staaaff", "staff"]],
    "affixes around the name": [
      ["admin_team", "admin"],
      ["real_admin", "admin"],
      ["realadmin", "admin"],
      ["official_support", "support"],
      ["security_team", "security"],
      ["theofficialadmin", "admin"],
      ["the.real.root", "root"],
      ["admin.hq", "admin"],
      ["mod_team", "mod"],
    ],
    "digits around the name": [
      ["admin1", "admin"],
      ["admin_01", "admin"],
      ["007admin", "admin"],
      ["www1", "www"],
      ["mail0", "mail"],
    ],
    "several at once": [["0ff1c1al_adm1n", "admin"], ["the_r00t_team", "root"]],
  };
  for (const [label, cases] of Object.entries(classes)) {
    await t.step(label, () => {
      for (const [name, root] of cases) {
        assert.equal(RESERVED_PROTECTED.resembles(name), root, name);
      }
    });
  }
});

Deno.test("RESERVED_PROTECTED leaves ordinary names and words alone", () => {
  for (
    const name of [
      "bob",
      "rot",
      "mood",
      "degroot",
      "dorota",
      "modesto",
      "staffieri",
      "mustafa",
      "badminton",
      "adminicle",
      "suport",
      "them",
      "realm",
      "robert",
      "maier",
      "liam",
      "claim",
    ]
  ) {
    assert.equal(RESERVED_PROTECTED.resembles(name), null, name);
  }
});

Deno.test("RESERVED_PROTECTED reads a reserved name with digits only as spelled", () => {
  assert.equal(RESERVED_PROTECTED.resembles("come"), null);
  assert.equal(RESERVED_PROTECTED.resembles("pope"), null);
});

Deno.test("protectedNames() adds the operator's names, containment for long ones", () => {
  const brands = protectedNames(["PayPal", "acme"]);
  assert.equal(brands.resembles("paypa1"), "PayPal");
  assert.equal(brands.resembles("my_paypal_gifts"), "PayPal");
  assert.equal(brands.resembles("acme_support"), "acme");
  assert.equal(brands.resembles("acmeville"), null, "a short name is not matched inside others");
  assert.equal(brands.resembles("adm1n"), "admin", "the reserved names are always included");
  assert.equal(protectedNames(), RESERVED_PROTECTED);
});

Deno.test("PROTECTED_AFFIXES are lower-case words of two letters or more", () => {
  for (const affix of PROTECTED_AFFIXES) assert.match(affix, /^[a-z]{2,}$/);
});
