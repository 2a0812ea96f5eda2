import assert from "node:assert/strict";
import { addCounts } from "./snapshot_summary.ts";

Deno.test("addCounts adds the decisions of two parts of a run, and keeps the first's rows", () => {
  const onePass = {
    rows: 10,
    claimed: { exact: 5, normalized: 1, derived: 1 },
    fallbacks: 1,
    reasons: { STYLIZED: 1, TAKEN_BY_OLDER: 1 },
  };
  const after = {
    rows: 10,
    claimed: { exact: 0, normalized: 0, derived: 0 },
    fallbacks: 2,
    reasons: { TAKEN_BY_OLDER: 2, PROFANE: 1 },
  };
  const sum = addCounts(onePass, after);
  assert.deepEqual(sum, {
    rows: 10,
    claimed: { exact: 5, normalized: 1, derived: 1 },
    fallbacks: 3,
    reasons: { TAKEN_BY_OLDER: 3, PROFANE: 1, STYLIZED: 1 },
  });
  // Most frequent first, then by name, as the counts of one pass are printed.
  assert.deepEqual(Object.keys(sum.reasons), ["TAKEN_BY_OLDER", "PROFANE", "STYLIZED"]);
});
