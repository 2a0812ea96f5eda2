import assert from "node:assert/strict";
import { legacyStatusBreach } from "./legacy_status_breach.ts";

Deno.test("legacyStatusBreach() names each disagreement and passes each agreement", async (t) => {
  const cases: [string[], boolean, ReturnType<typeof legacyStatusBreach>][] = [
    [["active"], true, null],
    [["deleted"], false, null],
    [[], false, null],
    [["active"], false, "active_account_without_legacy_row"],
    [["deleted"], true, "tombstone_with_legacy_row"],
    [[], true, "legacy_row_without_account"],
    // Two accounts for one legacy id are counted by the legacy walk; one active one is enough here.
    [["deleted", "active"], true, null],
    [["deleted", "active"], false, "active_account_without_legacy_row"],
  ];
  for (const [statuses, present, expected] of cases) {
    await t.step(`[${statuses}] with the legacy row ${present ? "present" : "gone"}`, () => {
      assert.equal(legacyStatusBreach(statuses, present), expected);
    });
  }
});
