import assert from "node:assert/strict";
import { legacyInstant } from "./legacy_created_at.ts";

Deno.test("legacyInstant() names the zone of a zone-less value and leaves instants alone", async (t) => {
  const cases: [string | null | undefined, string | null, string | null | undefined][] = [
    ["2020-06-01 12:00:00", "America/New_York", "2020-06-01 12:00:00 America/New_York"],
    ["2020-06-01", "UTC", "2020-06-01 UTC"],
    ["0044-03-15 12:00:00 BC", "UTC", "0044-03-15 12:00:00 BC UTC"],
    ["2020-06-01 12:00:00-04", null, "2020-06-01 12:00:00-04"],
    ["infinity", "Asia/Tokyo", "infinity"],
    ["-infinity", "Asia/Tokyo", "-infinity"],
    [null, "Asia/Tokyo", null],
    [undefined, "Asia/Tokyo", undefined],
  ];
  for (const [text, zone, expected] of cases) {
    await t.step(`${JSON.stringify(text)} in ${zone}`, () => {
      assert.equal(legacyInstant(text, zone), expected);
    });
  }
});
