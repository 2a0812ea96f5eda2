import assert from "node:assert/strict";
import { payloadReasons } from "./payload_shape.ts";
import { usernameCandidate } from "./username_candidate.ts";

Deno.test("payloadReasons() names markup and code", async (t) => {
  const cases: [string, string][] = [
    ["<script>alert(1)</script>", "MARKUP"],
    ["<body onload=alert('xss')>", "MARKUP"],
    ["<img src=x onerror=alert(1)", "MARKUP"],
    ["'; DROP TABLE users;--", "CODE_LIKE"],
    ["1; DROP TABLE users", "CODE_LIKE"],
    ["admin' OR 1=1", "CODE_LIKE"],
    ["x' union select password from users", "CODE_LIKE"],
    ["$(rm -rf /)", "CODE_LIKE"],
    ["${jndi:ldap://x}", "CODE_LIKE"],
    ["`id`", "CODE_LIKE"],
    ["a && b", "CODE_LIKE"],
    ["../../etc/passwd", "CODE_LIKE"],
    ["/etc/passwd%00", "CODE_LIKE"],
    ["C:\\Windows\\system32", "CODE_LIKE"],
    ["javascript:alert(1)", "CODE_LIKE"],
    ["https://evil.example/x", "CODE_LIKE"],
    ["{{7*7}}", "CODE_LIKE"],
    ["=cmd|' /C calc'!A0", "CODE_LIKE"],
    ["@SUM(1+1)*cmd|' /C calc'!A0", "CODE_LIKE"],
  ];
  for (const [text, reason] of cases) {
    await t.step(`${JSON.stringify(text)}: ${reason}`, () => {
      assert.deepEqual(payloadReasons(text), [reason]);
    });
  }
});

Deno.test("payloadReasons() leaves names with ordinary symbols alone", () => {
  for (const text of ["O'Brien", "Tom & Jerry", "bob (work)", "-bob-", "Tom <3 Jerry", "@bob"]) {
    assert.deepEqual(payloadReasons(text), [], text);
  }
});

Deno.test("usernameCandidate() gives payload-shaped values a generated fallback", () => {
  for (const raw of ["<body onload=alert('xss')>", "1; DROP TABLE users", "/etc/passwd%00"]) {
    const decision = usernameCandidate(raw);
    assert.equal(decision.kind, "none", raw);
    assert.equal(decision.base, null, raw);
  }
  const escaped = usernameCandidate("\x1b[31malex\x1b[0m");
  assert.equal(escaped.kind === "candidate" && escaped.username, "alex");
  assert.ok(escaped.reasons.includes("TERMINAL_ESCAPE"));
  const irish = usernameCandidate("O'Brien");
  assert.equal(irish.kind === "candidate" && irish.username, "o_brien");
});

Deno.test("usernameCandidate() judges symbols read as letters before repair removes them", () => {
  const cases: [string, string][] = [["@dmin", "admin"], ["$upport", "support"], ["he!p", "help"]];
  for (const [raw, root] of cases) {
    const decision = usernameCandidate(raw);
    assert.equal(decision.kind, "none", raw);
    assert.equal(decision.kind === "none" && decision.resembles, root, raw);
  }
});
