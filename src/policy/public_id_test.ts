import assert from "node:assert/strict";
import fc from "fast-check";
import { isProfane } from "./profanity.ts";
import {
  generatePublicId,
  isWellFormedPublicId,
  PUBLIC_ID_ALPHABET,
  PUBLIC_ID_LENGTH,
  PUBLIC_ID_PATTERN,
} from "./public_id.ts";
import { cryptoRandom, seededRandom } from "./random.ts";

Deno.test("PUBLIC_ID_ALPHABET has 36 characters, no vowels and no look-alikes", () => {
  assert.equal(PUBLIC_ID_ALPHABET.length, 36);
  assert.equal(new Set(PUBLIC_ID_ALPHABET).size, 36);
  assert.doesNotMatch(PUBLIC_ID_ALPHABET, /[aeiouAEIOU01lIoO2345sSvVxXyYZ]/);
  assert.ok(PUBLIC_ID_LENGTH * Math.log2(PUBLIC_ID_ALPHABET.length) >= 80);
  assert.equal(PUBLIC_ID_PATTERN.source, `^[${PUBLIC_ID_ALPHABET}]{${PUBLIC_ID_LENGTH}}$`);
});

Deno.test("isWellFormedPublicId() checks the shape", () => {
  assert.ok(isWellFormedPublicId("6789BCDFGHJKLMNP"));
  assert.ok(!isWellFormedPublicId("6789BCDFGHJKLMN"));
  assert.ok(!isWellFormedPublicId("6789BCDFGHJKLMNPQ"));
  assert.ok(!isWellFormedPublicId("6789BCDFGHJKLMNa"));
});

Deno.test("generatePublicId() draws from the CSPRNG", () => {
  const ids = new Set(Array.from({ length: 100 }, () => generatePublicId(cryptoRandom)));
  assert.equal(ids.size, 100);
  for (const id of ids) assert.ok(isWellFormedPublicId(id));
});

Deno.test("generatePublicId() re-draws an offensive ID", () => {
  // The first draw spells "fck": the generator must move on to the next one.
  const first = customBytes("fckfckfckfckfckf");
  const second = customBytes("BCDFGHJKLMNPQRTW");
  let calls = 0;
  const random = (bytes: number) => (calls++ === 0 ? first : second).slice(0, bytes);
  assert.ok(isProfane("fckfckfckfckfckf"));
  assert.equal(generatePublicId(random), "BCDFGHJKLMNPQRTW");
});

Deno.test("generatePublicId() gives up loudly on a random source that never varies", () => {
  const stuck = () => customBytes("fckfckfckfckfckf");
  assert.throws(() => generatePublicId(stuck), RangeError);
});

Deno.test("generatePublicId() is well formed and clean for any seed", () => {
  fc.assert(
    fc.property(fc.integer(), (seed) => {
      const id = generatePublicId(seededRandom(seed));
      assert.match(id, PUBLIC_ID_PATTERN);
      assert.ok(!isProfane(id), id);
    }),
    { numRuns: 10_000 },
  );
});

/** Bytes that make nanoid's customRandom emit `id` (it reads the bytes from the last one back). */
function customBytes(id: string): Uint8Array {
  const bytes = [...id].reverse().map((char) => PUBLIC_ID_ALPHABET.indexOf(char));
  return Uint8Array.from({ length: 27 }, (_, i) => bytes[i] ?? 255);
}
