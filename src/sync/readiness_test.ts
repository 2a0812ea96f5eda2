import assert from "node:assert/strict";
import { judgeReadiness } from "./readiness.ts";

Deno.test("judgeReadiness() is ready only when streaming within the lag threshold", async (t) => {
  const cases = [
    { state: "streaming", lag: 2, ready: true, reason: /^streaming$/ },
    { state: "streaming", lag: 30, ready: true, reason: /^streaming$/ },
    { state: "streaming", lag: 30.5, ready: false, reason: /30\.5 s is above .*=30/ },
    { state: "streaming", lag: null, ready: false, reason: /no legacy transaction/ },
    { state: "reconnecting", lag: 1, ready: false, reason: /reconnecting, not streaming/ },
    { state: "snapshotting", lag: null, ready: false, reason: /snapshotting/ },
    { state: "standby", lag: 1, ready: false, reason: /^standby: another daemon streams/ },
  ] as const;
  for (const c of cases) {
    await t.step(`${c.state}, lag ${c.lag}`, () => {
      const readiness = judgeReadiness({
        state: c.state,
        applyLagSeconds: c.lag,
        maxLagSeconds: 30,
      });
      assert.equal(readiness.ready, c.ready);
      assert.match(readiness.reason, c.reason);
      assert.equal(readiness.apply_lag_seconds, c.lag);
    });
  }
});
