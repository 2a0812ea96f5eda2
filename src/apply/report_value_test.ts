import assert from "node:assert/strict";
import { escapeReportValue } from "./report_value.ts";

Deno.test("escapeReportValue() keeps printable ASCII and escapes the rest", () => {
  assert.equal(escapeReportValue("Bob.Smith"), "Bob.Smith");
  assert.equal(escapeReportValue("bo\u200Bb"), "bo\\u200bb");
  assert.equal(escapeReportValue("a\\b"), "a\\\\b");
  assert.equal(escapeReportValue("x😀"), "x\\u{1f600}");
  assert.equal(escapeReportValue("\t<script>"), "\\u0009<script>");
});

Deno.test("escapeReportValue() keeps NULL as NULL", () => {
  assert.equal(escapeReportValue(null), null);
  assert.equal(escapeReportValue(undefined), null);
});

Deno.test("escapeReportValue() cuts values over 256 code points and marks the cut", () => {
  const escaped = escapeReportValue("山".repeat(5_000))!;
  assert.ok(escaped.startsWith("\\u5c71".repeat(256)));
  assert.ok(escaped.endsWith("...(cut)"));
});
