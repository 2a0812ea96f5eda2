import assert from "node:assert/strict";
import fc from "fast-check";
import { usernameSkeleton } from "./skeleton.ts";

Deno.test("usernameSkeleton() makes confusable names collide", async (t) => {
  const pairs: [string, string][] = [
    ["paypa1", "paypal"],
    ["rnicrosoft", "microsoft"],
    ["g0ogle", "google"],
    ["p\u0430ypal", "paypal"],
    ["g\u03BFogle", "google"],
    ["bob_smith", "bob.smith"],
    ["PayPal", "paypal"],
    ["MICROSOFT", "microsoft"],
  ];
  for (const [a, b] of pairs) {
    await t.step(`${JSON.stringify(a)} looks like ${b}`, () => {
      assert.equal(usernameSkeleton(a), usernameSkeleton(b));
    });
  }
});

Deno.test("usernameSkeleton() keeps different names apart", () => {
  assert.notEqual(usernameSkeleton("bob"), usernameSkeleton("rob"));
  assert.notEqual(usernameSkeleton("alice"), usernameSkeleton("alicia"));
});

Deno.test("usernameSkeleton() is idempotent on any string", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 40 }), (text) => {
      const skeleton = usernameSkeleton(text);
      assert.equal(usernameSkeleton(skeleton), skeleton);
    }),
    { numRuns: 10_000 },
  );
});
