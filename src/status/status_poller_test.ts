import assert from "node:assert/strict";
import { COUNT_SPACING, nextCountDelay } from "./status_poller.ts";

Deno.test("the account count waits its cadence while a count is quick", () => {
  assert.equal(nextCountDelay(300_000, 0), 300_000);
  assert.equal(nextCountDelay(300_000, 700), 300_000);
  assert.equal(nextCountDelay(300_000, 3_000), 300_000);
});

Deno.test("the account count waits a hundred times its last scan once that is longer", () => {
  assert.equal(COUNT_SPACING, 100);
  // A scan of 300M accounts: minutes, so hours between counts.
  assert.equal(nextCountDelay(300_000, 200_000), 20_000_000);
  assert.equal(nextCountDelay(300_000, 3_001), 300_100);
});
