import assert from "node:assert/strict";
import fc from "fast-check";
import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from "obscenity";
import { isProfane } from "./profanity.ts";

Deno.test("isProfane() flags profanity, leetspeak and stylised letters", () => {
  for (const text of ["fuckface", "sh1tlord", "a$$hole", "\u{1D41F}\u{1D42E}\u{1D41C}\u{1D424}"]) {
    assert.ok(isProfane(text), text);
  }
});

Deno.test("isProfane() avoids the Scunthorpe problem", () => {
  for (const text of ["scunthorpe", "assassin", "cocktail", "dickens", "bob_smith", "classic"]) {
    assert.ok(!isProfane(text), text);
  }
});

Deno.test("isProfane() agrees with obscenity's own matcher on any string", () => {
  const matcher = new RegExpMatcher({
    ...englishDataset.build(),
    ...englishRecommendedTransformers,
  });
  const wordy = fc.string({
    unit: fc.constantFrom(..."fuckshitasbdion1$@0 ._\u00fc", "\u{1D41F}", "\uD800"),
    maxLength: 20,
  });
  fc.assert(
    fc.property(fc.oneof(wordy, fc.string({ unit: "binary" })), (text) => {
      assert.equal(isProfane(text), matcher.hasMatch(text));
    }),
    { numRuns: 10_000 },
  );
});
