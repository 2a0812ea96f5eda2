/**
 * The property of issue 12: a protected name pushed through any composition of the evasion
 * transforms (digits and symbols for letters, letter pairs, separators, case, repeats, affixes,
 * homoglyphs) is claimable on no path: not by a legacy claim, not by an API sign-up.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { protectedNames } from "../src/policy/mod.ts";
import { impersonatingPaths } from "../bench/audit/claimable.ts";
import {
  evade,
  EVASION_KINDS,
  evasionVariants,
  OPERATOR_NAMES,
  PROTECTED_EXAMPLES,
  readsAs,
  seededChance,
} from "./support/evasions.ts";

const options = { protectedNames: protectedNames(OPERATOR_NAMES) };
const anyProtectedName = fc.constantFrom(...PROTECTED_EXAMPLES, ...OPERATOR_NAMES);
const anyComposition = fc.array(fc.constantFrom(...EVASION_KINDS), { minLength: 1, maxLength: 4 });

Deno.test("a protected name through any composition of evasions is claimable on no path", () => {
  fc.assert(
    fc.property(anyProtectedName, anyComposition, fc.integer(), (root, kinds, seed) => {
      const variant = evade(root, kinds, seededChance(seed));
      const claims = impersonatingPaths(variant, root, options);
      assert.deepEqual(
        claims,
        [],
        `${JSON.stringify(variant)} (${root} through ${kinds.join(" + ")}) is claimable: ${
          claims.map(({ path, username }) => `${path} gives ${username}`).join(", ")
        }`,
      );
    }),
    { seed: 20261204, numRuns: 2000 },
  );
});

Deno.test("evasion variants are seeded, distinct, and never the name itself", () => {
  const first = evasionVariants("admin", { seed: 7 });
  assert.deepEqual(evasionVariants("admin", { seed: 7 }), first);
  assert.equal(new Set(first.map(({ text }) => text)).size, first.length);
  assert.ok(first.every(({ text }) => text !== "admin"));
});

Deno.test("each evasion changes a protected name the way its kind says", async (t) => {
  const cases: [(typeof EVASION_KINDS)[number], RegExp][] = [
    ["leet", /^[4@]dmin$|^adm[1!]n$/],
    ["pair", /^adrnin$|^aclmin$/],
    ["separator", /^a[._]dmin$|^ad[._]min$|^adm[._]in$|^admi[._]n$/],
    ["case", /^(?!admin$)[aA][dD][mM][iI][nN]$/],
    ["repeat", /^a+d+m+i+n+$/],
    ["prefix", /^(official[._]|real_?|the[._])admin$/],
    ["suffix", /^admin([._]team|_support|_staff|_?hq|1|_01|42)$/],
    ["homoglyph", /^\u0430dmin$/],
  ];
  for (const [kind, shape] of cases) {
    await t.step(kind, () => {
      for (let seed = 0; seed < 50; seed++) {
        const variant = evade("admin", [kind], seededChance(seed));
        assert.match(variant, shape, `${kind} with seed ${seed} gave ${variant}`);
      }
    });
  }
});

Deno.test("readsAs() undoes the evasions and nothing more", () => {
  for (const name of ["a.dmin", "4dmin", "adrnin", "aadmin", "official_admin", "admin_01"]) {
    assert.ok(readsAs(name, "admin"), name);
  }
  for (const name of ["badminton", "adam", "dmin", "administer"]) {
    assert.ok(!readsAs(name, "admin"), name);
  }
});
