/**
 * The audit as one markdown table (row, n, measured, target, result), and the examples behind the
 * rows that fail.
 *
 * @module
 */

import { type AuditRow, rowPasses } from "./audit_row.ts";
import type { AuditReport } from "./run_audit.ts";

function measured(row: AuditRow): string {
  switch (row.unit) {
    case "count":
      return `${row.count}`;
    case "%":
      return `${row.value.toFixed(2)} % (${row.count})`;
    case "µs":
      return `${row.value.toFixed(2)} µs`;
  }
}

function target(row: AuditRow): string {
  if (row.target === null) return "—";
  const unit = row.unit === "count" ? "" : ` ${row.unit}`;
  return `${row.target.op === "<=" ? "≤" : "≥"} ${row.target.value}${unit}`;
}

function result(row: AuditRow): string {
  const pass = rowPasses(row);
  if (pass === null) return "—";
  const verdict = pass ? "PASS" : "FAIL";
  return row.gated ? verdict : `${verdict} (not gated)`;
}

/** The rows as a markdown table. */
export function auditTable(rows: readonly AuditRow[]): string {
  const lines = [
    "| row | n | measured | target | result |",
    "| --- | ---: | ---: | ---: | --- |",
    ...rows.map((row) =>
      `| ${row.row} | ${row.n.toLocaleString("en")} | ${measured(row)} | ${target(row)} | ${
        result(row)
      } |`
    ),
  ];
  return lines.join("\n");
}

/** For each row that fails its target, its first examples, one per line. */
export function auditFailures(rows: readonly AuditRow[]): string {
  return rows.filter((row) => rowPasses(row) === false && row.failures.length > 0).map((row) =>
    [`### ${row.row}`, ...row.failures.map((failure) => `- \`${failure}\``)].join("\n")
  ).join("\n\n");
}

/** What the table was measured on: seed, corpus sizes, protected and reserved names, time. */
export function auditFootnote(report: AuditReport): string {
  const { judged, eligible, of } = report.dictionary;
  const words = judged === eligible
    ? `all ${eligible.toLocaleString("en")} eligible`
    : `${judged.toLocaleString("en")} sampled of ${eligible.toLocaleString("en")} eligible`;
  return [
    `seed ${report.seed}`,
    `dictionary: ${words} of ${of.toLocaleString("en")} words`,
    `operator names: ${report.operatorNames.join(", ")}`,
    `reserved names: ${report.reservedNamesVersion}`,
    `${report.seconds.toFixed(1)} s`,
  ].join("; ");
}
