import assert from "node:assert/strict";
import { nextTurnDelay, startCountTurns, TURN_SPACING } from "./count_turns.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A read that records its calls and how many ran at once, each taking `takesMs` or failing. Its
 * clock moves by exactly `takesMs` a read, so a busy machine cannot lengthen the turns' spacing.
 */
function fakeRead(takesMs: number, fails = false) {
  const seen = { calls: 0, atOnce: 0, most: 0 };
  let elapsed = 0;
  const read = async () => {
    seen.calls++;
    seen.atOnce++;
    seen.most = Math.max(seen.most, seen.atOnce);
    if (takesMs > 0) await pause(takesMs);
    elapsed += takesMs;
    seen.atOnce--;
    if (fails) throw new Error("cannot count");
  };
  return { seen, read, clock: () => elapsed };
}

type FakeRead = ReturnType<typeof fakeRead>;

function start(fake: FakeRead, everyMs: number, onError: (error: unknown) => void = () => {}) {
  return startCountTurns(fake.read, { everyMs, onError, clock: fake.clock });
}

/** Turns of the fake read for `ms`, then stopped. */
async function runTurns(
  fake: FakeRead,
  everyMs: number,
  ms: number,
  onError?: (error: unknown) => void,
): Promise<void> {
  const turns = start(fake, everyMs, onError);
  await pause(ms);
  await turns.stop();
}

Deno.test("a turn waits its cadence while a read is quick, a hundred times the read once longer", () => {
  assert.equal(TURN_SPACING, 100);
  assert.equal(nextTurnDelay(300_000, 0), 300_000);
  assert.equal(nextTurnDelay(300_000, 3_000), 300_000);
  assert.equal(nextTurnDelay(300_000, 3_001), 300_100);
  // A scan of 300M accounts: minutes, so hours between counts.
  assert.equal(nextTurnDelay(300_000, 200_000), 20_000_000);
});

Deno.test("turns come at the cadence after quick reads", async () => {
  const fake = fakeRead(0);
  await runTurns(fake, 50, 300);
  const { seen } = fake;
  assert.ok(seen.calls >= 3, `${seen.calls} turns in 300 ms at 50 ms apart`);
});

Deno.test("after a read of 30 ms the next turn waits 3 s, not the 10 ms cadence", async () => {
  const fake = fakeRead(30);
  await runTurns(fake, 10, 400);
  const { seen } = fake;
  assert.equal(seen.calls, 1);
});

Deno.test("a failed read waits like one that ended: a quick one the cadence, a long one longer", async () => {
  const quick = fakeRead(0, true);
  const slow = fakeRead(30, true);
  const errors: unknown[] = [];
  await Promise.all([
    runTurns(quick, 50, 300, (error) => errors.push(error)),
    runTurns(slow, 10, 300),
  ]);
  assert.ok(quick.seen.calls >= 3, `${quick.seen.calls} tries in 300 ms at 50 ms apart`);
  assert.equal(errors.length, quick.seen.calls);
  assert.equal(slow.seen.calls, 1, "a read that failed after 30 ms waits 3 s");
});

Deno.test("a failure heard by a handler that throws still leaves the turns going", async () => {
  const fake = fakeRead(0, true);
  const { seen } = fake;
  await runTurns(fake, 50, 300, () => {
    throw new Error("cannot log");
  });
  assert.ok(seen.calls >= 3, `${seen.calls} tries in 300 ms at 50 ms apart`);
});

Deno.test("a turn asked for while one runs follows it at once, never beside it", async () => {
  const fake = fakeRead(50);
  const { seen } = fake;
  const turns = start(fake, 60_000);
  await pause(10);
  turns.now();
  turns.now();
  await pause(150);
  assert.equal(seen.calls, 2, "the running turn, then one more");
  assert.equal(seen.most, 1);
  await turns.stop();
});

Deno.test("a turn asked for while one waits resets the wait", async () => {
  const fake = fakeRead(0);
  const { seen } = fake;
  const turns = start(fake, 300);
  await pause(150);
  turns.now();
  // The first wait would have ended at 300 ms; the one after the turn asked for ends at 450.
  await pause(225);
  assert.equal(seen.calls, 2);
  await turns.stop();
});

Deno.test("stop() waits for the running turn, and none comes after", async () => {
  const fake = fakeRead(40);
  const { seen } = fake;
  const turns = start(fake, 10);
  await pause(10);
  turns.now();
  await turns.stop();
  assert.equal(seen.atOnce, 0);
  const calls = seen.calls;
  turns.now();
  await pause(100);
  assert.equal(seen.calls, calls);
});
