import assert from "node:assert/strict";
import { compareLsn, formatLsn, lsnBefore, parseLsn } from "./lsn.ts";

Deno.test("parseLsn() and formatLsn() round-trip PostgreSQL's X/Y form", () => {
  for (const lsn of ["0/0", "0/174B698", "16/B374D848", "FFFFFFFF/FFFFFFFF"]) {
    assert.equal(formatLsn(parseLsn(lsn)), lsn);
  }
  assert.equal(parseLsn("1/0"), 1n << 32n);
});

Deno.test("parseLsn() refuses what is not an LSN", () => {
  for (const bad of ["", "0", "0/", "x/1", "1/2/3", "123456789/0"]) {
    assert.throws(() => parseLsn(bad), TypeError, bad);
  }
});

Deno.test("compareLsn() orders by position, not as text", () => {
  assert.equal(compareLsn("0/9", "0/10"), -1);
  assert.equal(compareLsn("1/0", "0/FFFFFFFF"), 1);
  assert.equal(compareLsn("0/A", "0/a"), 0);
});

Deno.test("lsnBefore() steps back one byte, across the halves too", () => {
  assert.equal(lsnBefore("0/174B698"), "0/174B697");
  assert.equal(lsnBefore("1/0"), "0/FFFFFFFF");
  assert.equal(lsnBefore("0/0"), "0/0");
});
