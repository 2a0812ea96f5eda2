import assert from "node:assert/strict";
import { standbyPollMs } from "./stand_by.ts";

Deno.test("standbyPollMs() looks at the slot ten times per takeover time, from 100 ms to 5 s", () => {
  assert.equal(standbyPollMs(10), 1_000);
  assert.equal(standbyPollMs(1), 100);
  assert.equal(standbyPollMs(3_600), 5_000);
});
