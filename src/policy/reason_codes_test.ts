import assert from "node:assert/strict";
import { REASON_CODES, sortReasons } from "./reason_codes.ts";

Deno.test("REASON_CODES are unique SCREAMING_SNAKE strings", () => {
  assert.equal(new Set(REASON_CODES).size, REASON_CODES.length);
  for (const code of REASON_CODES) assert.match(code, /^[A-Z]+(_[A-Z]+)*$/);
});

Deno.test("REASON_CODES include the codes the apply layer records", () => {
  for (const code of ["MISSING", "RESERVED", "TAKEN_BY_OLDER", "TAKEN", "HELD", "TOO_LONG"]) {
    assert.ok((REASON_CODES as readonly string[]).includes(code), code);
  }
});

Deno.test("sortReasons() removes duplicates and orders canonically", () => {
  assert.deepEqual(sortReasons(["RESERVED", "TRIMMED", "RESERVED", "MISSING"]), [
    "MISSING",
    "TRIMMED",
    "RESERVED",
  ]);
  assert.deepEqual(sortReasons([]), []);
  assert.deepEqual(sortReasons(["HELD"]), ["HELD"]);
});
