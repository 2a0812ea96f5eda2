import assert from "node:assert/strict";
import { boundedRandom, cryptoRandom, seededRandom } from "./random.ts";

Deno.test("seededRandom() repeats for a seed and differs between seeds", () => {
  assert.deepEqual(seededRandom(1)(32), seededRandom(1)(32));
  assert.notDeepEqual(seededRandom(1)(32), seededRandom(2)(32));
});

Deno.test("seededRandom() returns exactly the bytes asked for, fresh each call", () => {
  const random = seededRandom(3);
  const a = random(7);
  const b = random(7);
  assert.equal(a.length, 7);
  assert.notDeepEqual(a, b);
});

Deno.test("seededRandom() spreads bytes over the whole range", () => {
  const counts = new Array(256).fill(0);
  for (const byte of seededRandom(4)(256 * 200)) counts[byte]++;
  assert.ok(counts.every((count) => count > 120 && count < 290));
});

Deno.test("cryptoRandom() returns the bytes asked for", () => {
  assert.equal(cryptoRandom(16).length, 16);
  assert.notDeepEqual(cryptoRandom(16), cryptoRandom(16));
});

Deno.test("boundedRandom() passes bytes through until its limit, then throws", () => {
  const random = boundedRandom(seededRandom(5), 2);
  assert.equal(random(4).length, 4);
  assert.equal(random(4).length, 4);
  assert.throws(() => random(4), RangeError);
});

Deno.test("cryptoRandom() hands out fresh bytes across pool refills and for big requests", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2_000; i++) seen.add(cryptoRandom(45).join(","));
  assert.equal(seen.size, 2_000);
  assert.equal(cryptoRandom(60_000).length, 60_000);
});
