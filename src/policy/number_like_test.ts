import assert from "node:assert/strict";
import { isNumberLike } from "./number_like.ts";

Deno.test("isNumberLike() refuses decimals, versions, addresses, hex and exponents", () => {
  for (
    const name of ["1.00", "0.0.0", "10.0.0.1", "1_000", "0xffffffff", "0x1f", "1e10", "2.5e3"]
  ) {
    assert.ok(isNumberLike(name), name);
  }
});

Deno.test("isNumberLike() leaves names with letters alone", () => {
  for (const name of ["bob1", "v1.2", "x0ff", "route66", "12345", "agent.007", "0xbob"]) {
    assert.ok(!isNumberLike(name), name);
  }
});
