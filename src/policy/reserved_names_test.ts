import assert from "node:assert/strict";
import data from "./reserved_names.json" with { type: "json" };
import { isReservedUsername, RESERVED_NAMES, RESERVED_NAMES_VERSION } from "./reserved_names.ts";

Deno.test("reserved_names.json is versioned and stored without separators", () => {
  assert.equal(RESERVED_NAMES_VERSION, 1);
  assert.equal(data.version, RESERVED_NAMES_VERSION);
  assert.equal(RESERVED_NAMES.size, data.names.length);
  for (const name of data.names) assert.match(name, /^[a-z0-9]+$/);
});

Deno.test("RESERVED_NAMES covers every category of the policy", async (t) => {
  const categories: Record<string, string[]> = {
    "system and route words": ["admin", "api", "www", "login", "settings", "support", "help"],
    "short route words": ["me", "u", "root"],
    sentinels: ["null", "undefined", "nan", "true", "false", "none", "deleted", "ghost"],
    "RFC 2142 mailboxes": [
      "abuse",
      "postmaster",
      "hostmaster",
      "webmaster",
      "noc",
      "security",
      "info",
      "marketing",
      "sales",
      "uucp",
      "usenet",
      "news",
      "ftp",
    ],
    "Windows device names": ["con", "prn", "aux", "nul", "com1", "com9", "lpt1", "lpt9"],
  };
  for (const [category, names] of Object.entries(categories)) {
    await t.step(category, () => {
      for (const name of names) assert.ok(isReservedUsername(name), name);
    });
  }
  await t.step("anonymous", () => assert.ok(isReservedUsername("anonymous")));
});

Deno.test("isReservedUsername() also matches a reserved name split by separators", () => {
  assert.ok(isReservedUsername("ad.min"));
  assert.ok(isReservedUsername("a_d_m_i_n"));
  assert.ok(isReservedUsername("com.1"));
});

Deno.test("isReservedUsername() leaves ordinary and look-alike names alone", () => {
  assert.ok(!isReservedUsername("bob"));
  assert.ok(!isReservedUsername("admin2"));
  assert.ok(!isReservedUsername("adm1n"));
  assert.ok(!isReservedUsername("bob.smith"));
});
