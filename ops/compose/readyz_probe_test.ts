import assert from "node:assert/strict";
import type { DaemonState } from "../../src/sync/readiness.ts";
import { isHealthy } from "./readyz_probe.ts";

Deno.test("isHealthy() takes a daemon streaming caught up or standing by, nothing else", async (t) => {
  const cases: [number, boolean, DaemonState, boolean][] = [
    [200, true, "streaming", true],
    [503, false, "standby", true],
    [503, false, "streaming", false], // lagging, or nothing applied yet
    [503, false, "snapshotting", false],
    [503, false, "reconnecting", false],
    [503, false, "starting", false],
  ];
  for (const [status, ready, state, healthy] of cases) {
    await t.step(`${status} ${state}`, () => {
      assert.equal(isHealthy(status, { ready, state }), healthy);
    });
  }
});
