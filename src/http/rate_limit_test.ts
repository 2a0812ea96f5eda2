import assert from "node:assert/strict";
import { TokenBuckets } from "./rate_limit.ts";

function clock() {
  let ms = 0;
  return { now: () => ms, advance: (by: number) => ms += by };
}

Deno.test("TokenBuckets allows a burst, then refuses until a token comes back", () => {
  const time = clock();
  const buckets = new TokenBuckets({ ratePerSecond: 2, burst: 3, now: time.now });
  for (let i = 0; i < 3; i++) assert.deepEqual(buckets.take("a"), { allowed: true });
  assert.deepEqual(buckets.take("a"), { allowed: false, retryAfterSeconds: 1 });
  time.advance(499);
  assert.equal(buckets.take("a").allowed, false);
  time.advance(1);
  assert.deepEqual(buckets.take("a"), { allowed: true });
  assert.equal(buckets.take("a").allowed, false);
});

Deno.test("TokenBuckets keeps one bucket per client", () => {
  const time = clock();
  const buckets = new TokenBuckets({ ratePerSecond: 1, burst: 1, now: time.now });
  assert.equal(buckets.take("a").allowed, true);
  assert.equal(buckets.take("a").allowed, false);
  assert.equal(buckets.take("b").allowed, true);
});

Deno.test("TokenBuckets says how long to wait, in whole seconds", async (t) => {
  const cases: [number, number][] = [[2, 1], [1, 1], [0.5, 2], [0.1, 10]];
  for (const [rate, seconds] of cases) {
    await t.step(`${rate} per second: ${seconds} s`, () => {
      const buckets = new TokenBuckets({ ratePerSecond: rate, burst: 1, now: () => 0 });
      buckets.take("a");
      assert.deepEqual(buckets.take("a"), { allowed: false, retryAfterSeconds: seconds });
    });
  }
});

Deno.test("TokenBuckets never fills a bucket past its burst", () => {
  const time = clock();
  const buckets = new TokenBuckets({ ratePerSecond: 10, burst: 2, now: time.now });
  buckets.take("a");
  time.advance(60_000);
  assert.equal(buckets.take("a").allowed, true);
  assert.equal(buckets.take("a").allowed, true);
  assert.equal(buckets.take("a").allowed, false);
});

Deno.test("TokenBuckets forgets the least recently seen client when full", () => {
  const buckets = new TokenBuckets({ ratePerSecond: 1, burst: 1, maxClients: 2, now: () => 0 });
  buckets.take("a");
  buckets.take("b");
  buckets.take("a"); // a is now the most recent
  buckets.take("c"); // b goes
  assert.equal(buckets.size, 2);
  assert.equal(buckets.take("a").allowed, false, "a is remembered");
  assert.equal(buckets.take("b").allowed, true, "b was forgotten: a full bucket again");
});

Deno.test("TokenBuckets refuses a rate or burst that is not positive", () => {
  assert.throws(() => new TokenBuckets({ ratePerSecond: 0, burst: 1 }), RangeError);
  assert.throws(() => new TokenBuckets({ ratePerSecond: 1, burst: 0 }), RangeError);
});
