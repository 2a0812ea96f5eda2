import assert from "node:assert/strict";
import { RESERVED_ADDITIONS } from "./reserved_additions.ts";
import {
  isReservedUsername,
  RESERVED_NAMES,
  RESERVED_NAMES_VERSION,
  RESERVED_SOURCES,
} from "./reserved_names.ts";

Deno.test("RESERVED_NAMES is versioned by its sources and stored without separators", () => {
  for (const source of Object.keys(RESERVED_SOURCES)) {
    assert.ok(RESERVED_NAMES_VERSION.includes(source), source);
  }
  for (const name of RESERVED_NAMES) assert.match(name, /^[a-z0-9]+$/);
  assert.ok(RESERVED_NAMES.has("mailerdaemon"), "mailer-daemon, without its hyphen");
  for (const names of Object.values(RESERVED_ADDITIONS)) {
    for (const name of names) assert.ok(RESERVED_NAMES.has(name), name);
  }
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
