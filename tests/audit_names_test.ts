/**
 * `deno task audit:names` gated in the suite: the audit runs in-process over its corpora and each
 * row with a target must meet it (the µs rows are printed by the task, never gated here).
 */
import assert from "node:assert/strict";
import { type AuditRow, rowPasses } from "../bench/audit/audit_row.ts";
import { runAudit } from "../bench/audit/run_audit.ts";

function figure(row: AuditRow): string {
  const value = row.unit === "%" ? `${row.value.toFixed(2)} %` : `${row.value}`;
  const op = row.target!.op === "<=" ? "≤" : "≥";
  const unit = row.unit === "%" ? " %" : "";
  return `${value} (${row.count} of ${row.n}), target ${op} ${row.target!.value}${unit}`;
}

Deno.test("audit:names meets the targets of issue 12 on every gated row", async (t) => {
  const { rows } = runAudit({ timing: false });
  const gated = rows.filter((row) => row.gated);
  assert.ok(gated.length >= 10, `only ${gated.length} gated rows`);
  for (const row of gated) {
    await t.step(row.row, () => {
      assert.ok(
        rowPasses(row),
        `${row.row}: ${figure(row)}; first: ${row.failures.slice(0, 10).join(" | ")}`,
      );
    });
  }
});
