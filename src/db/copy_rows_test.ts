import assert from "node:assert/strict";
import { encodeRows } from "./copy_rows.ts";

const decoder = new TextDecoder();

Deno.test("encodeRows writes COPY's text format in UTF-8", () => {
  const bytes = encodeRows([
    ["plain", 7, null, ["a b", "c,d"]],
    ["tab\\there\nnew\rline", "Ærøskøbing Иван 王 🙂", "", null],
  ]);
  assert.equal(
    decoder.decode(bytes),
    'plain\t7\t\\N\t{"a b","c,d"}\n' +
      "tab\\\\there\\nnew\\rline\tÆrøskøbing Иван 王 🙂\t\t\\N\n",
  );
});

Deno.test("encodeRows grows its buffer for rows longer than it expected", () => {
  const long = "й".repeat(5_000) + "\t" + "z".repeat(3_000);
  const rows = [["a"], [long, long], ["b"]];
  const expected =
    rows.map((row) => row.map((value) => value.replaceAll("\t", "\\t")).join("\t")).join("\n") +
    "\n";
  const bytes = encodeRows(rows);
  assert.equal(bytes.byteLength, new TextEncoder().encode(expected).byteLength);
  assert.equal(decoder.decode(bytes), expected);
});
