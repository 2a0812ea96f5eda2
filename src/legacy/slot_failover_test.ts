import assert from "node:assert/strict";
import { judgeFailoverReadiness, parseSlotList } from "./slot_failover.ts";

const READY = {
  failover: true,
  synchronizedStandbySlots: "standby_a",
  physicalSlots: new Map([["standby_a", true]]),
};

Deno.test("judgeFailoverReadiness() is ready when every standby waited for streams", () => {
  assert.deepEqual(judgeFailoverReadiness(READY), { ready: true });
  assert.deepEqual(
    judgeFailoverReadiness({
      ...READY,
      synchronizedStandbySlots: ' standby_a , "Standby_B"',
      physicalSlots: new Map([["standby_a", true], ["Standby_B", true], ["other", false]]),
    }),
    { ready: true },
  );
});

Deno.test("judgeFailoverReadiness() names what a failover would lose the slot to", () => {
  const reason = (facts: Partial<typeof READY>) => {
    const judged = judgeFailoverReadiness({ ...READY, ...facts });
    return judged.ready ? "ready" : judged.reason;
  };
  assert.match(reason({ failover: false }), /failover = false/);
  assert.match(reason({ synchronizedStandbySlots: "" }), /synchronized_standby_slots is empty/);
  assert.match(reason({ physicalSlots: new Map() }), /names standby_a, no physical slot/);
  assert.match(
    reason({ physicalSlots: new Map([["standby_a", false]]) }),
    /no standby streams from physical slot standby_a/,
  );
  assert.match(
    reason({
      synchronizedStandbySlots: "standby_a,standby_b",
      physicalSlots: new Map([["standby_a", true], ["standby_b", false]]),
    }),
    /standby_b/,
  );
});

Deno.test("parseSlotList() reads the setting's names, quoted or not", () => {
  assert.deepEqual(parseSlotList(""), []);
  assert.deepEqual(parseSlotList("a"), ["a"]);
  assert.deepEqual(parseSlotList(' a, "b" ,,c '), ["a", "b", "c"]);
});
