import assert from "node:assert/strict";
import { createTestDatabase, withClient } from "../../tests/support/test_database.ts";
import {
  changeLegacyUsers,
  createLegacyUsersTable,
  insertLegacyUsers,
  LEGACY_USER_MIX,
  type LegacyUserCategory,
  legacyUserCategorySql,
} from "./legacy_users.ts";

const SEED = 42;

const RESERVED = new Set(
  ("admin administrator support help api www login settings me u root postmaster webmaster " +
    "abuse noreply system null undefined nan true false none nil [deleted] deleted ghost " +
    "anonymous con nul aux prn com1 lpt1").split(" "),
);
const PROTECTED = [
  "paypal",
  "google",
  "microsoft",
  "apple",
  "amazon",
  "github",
  "admin",
  "support",
];
const CONFUSABLES: Record<string, string> = {
  "\u0430": "a",
  "\u03BF": "o",
  "\u0456": "i",
  "\u0455": "s",
  "1": "l",
  "0": "o",
};

const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const codePoints = (s: string) => [...s].length;
const isHandle = (s: string) =>
  /^[a-z0-9]+(?:[._][a-z0-9]+)*$/.test(s) && s.length >= 3 && s.length <= 30 &&
  !/^[0-9]+$/.test(s);
const skeleton = (s: string) =>
  [...asciiLower(s)].map((c) => CONFUSABLES[c] ?? c).join("").replaceAll("rn", "m");
const hasScript = (s: string, scripts: string[]) =>
  scripts.some((script) => new RegExp(`\\p{Script=${script}}`, "u").test(s));

/** What a username of each category looks like, judged without the generator's code. */
const LOOKS_LIKE: Record<LegacyUserCategory, (u: string) => boolean> = {
  plain: isHandle,
  case_variant: (u) => /[A-Z]/.test(u) && isHandle(asciiLower(u)),
  null: () => false,
  empty: (u) => u === "",
  whitespace_only: (u) => u !== "" && u.trim() === "",
  padded: (u) => u.trim() !== "" && u.trim() !== u,
  reserved: (u) => RESERVED.has(u.toLowerCase()),
  protected_brand: (u) => PROTECTED.includes(u.toLowerCase()),
  homoglyph: (u) =>
    PROTECTED.some((name) => skeleton(u).startsWith(name) && !asciiLower(u).startsWith(name)),
  fullwidth: (u) => /[\uFF01-\uFF5E]/.test(u) && /^[\x21-\x7E]+$/.test(u.normalize("NFKC")),
  stylized: (u) =>
    /[\u{1D400}-\u{1D7FF}\u{24B6}-\u{24E9}]/u.test(u) && /^[A-Za-z]+$/.test(u.normalize("NFKC")),
  ligature: (u) => /[\uFB00-\uFB06\u01C4-\u01CC\u0132\u0133]/.test(u),
  letterlike: (u) => /[\u2100-\u218F]/.test(u),
  invisible: (u) => /[\u200B-\u200D\u2060\uFEFF\u00AD\uFE0F\u034F\u180E\u3164\u115F]/.test(u),
  tag_chars: (u) => /[\u{E0000}-\u{E007F}]/u.test(u),
  bidi: (u) => /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/.test(u),
  control_chars: (u) => /\p{Cc}/u.test(u),
  emoji: (u) => /\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(u),
  accented: (u) => /[\u00C0-\u024F]/.test(u) && u === u.normalize("NFC"),
  nfd: (u) => /\p{M}/u.test(u) && u !== u.normalize("NFC"),
  zalgo: (u) => (u.match(/\p{M}/gu)?.length ?? 0) >= 3,
  turkish: (u) => /[\u0130\u0131]/.test(u),
  sharp_s: (u) => /[\u00DF\u1E9E]/.test(u),
  greek_cyrillic: (u) => hasScript(u, ["Greek", "Cyrillic"]) && !/[A-Za-z]/.test(u),
  other_scripts: (u) =>
    hasScript(u, ["Han", "Hiragana", "Katakana", "Hangul", "Arabic", "Hebrew", "Thai"]) &&
    !/[A-Za-z]/.test(u),
  mixed_script: (u) =>
    /[A-Za-z]/.test(u) && hasScript(u, ["Cyrillic", "Hebrew", "Han", "Arabic", "Greek"]),
  too_short: (u) => codePoints(u) >= 1 && codePoints(u) <= 2,
  too_long: (u) => /^[\x21-\x7E]{40,300}$/.test(u),
  oversize: (u) => codePoints(u) > 256,
  digits_only: (u) => /^[0-9]{3,6}$/.test(u),
  edge_separators: (u) => /^[A-Za-z0-9._-]+$/.test(u) && /^[._-]|[._-]$/.test(u),
  consecutive_separators: (u) => /^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(u) && /[._-]{2}/.test(u),
  inner_space: (u) => u === u.trim() && /\s/u.test(u),
  punctuation: (u) => /^[\x21-\x7E]+$/.test(u) && /[-'!#+&,*()~]/.test(u),
  percent_encoded: (u) => /%[0-9A-F]{2}/i.test(u),
  email_shaped: (u) => /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i.test(u),
  phone_shaped: (u) => /^\+?[0-9 ()-]+$/.test(u) && (u.match(/[0-9]/g)?.length ?? 0) >= 7,
  sql_looking: (u) => /\b(drop|select|delete|union)\b|' or '|' --/i.test(u),
  html_looking: (u) => /<[a-z/]|&[a-z]+;|">/i.test(u),
  profane: (u) => /fuck|\uFB00uck|sh[1i]t|b1tch|asshole|dickhead/i.test(u),
  profanity_false_positive: (u) =>
    /^(scunthorpe|cockburn|penistone|sussex|essex|therapist|assassin|dickens|cassandra)$/i
      .test(u),
  generated_looking: (u) => /^user_?[0-9a-z]{6,10}$/.test(u),
};

function looksLike(category: LegacyUserCategory, username: string | null): boolean {
  return username === null ? category === "null" : LOOKS_LIKE[category](username);
}

Deno.test("LEGACY_USER_MIX rates add up to one and its examples look like their category", () => {
  const total = LEGACY_USER_MIX.reduce((sum, { rate }) => sum + rate, 0);

  assert.ok(Math.abs(total - 1) < 1e-9, `rates add up to ${total}`);
  assert.ok(LEGACY_USER_MIX.every(({ rate }) => rate > 0));
  const plainShare = LEGACY_USER_MIX.filter((c) =>
    c.category === "plain" || c.category === "case_variant"
  )
    .reduce((sum, { rate }) => sum + rate, 0);
  assert.ok(plainShare > 0.75 && plainShare < 0.85, `valid handles are ${plainShare}`);
  for (const { category, examples } of LEGACY_USER_MIX) {
    for (const example of examples) {
      assert.ok(looksLike(category, example), `${category} example ${JSON.stringify(example)}`);
    }
  }
});

Deno.test("insertLegacyUsers() inserts exactly the rows asked, with ids from firstId", async () => {
  await using db = await createTestDatabase();
  const stats = await withClient(db.url, async (client) => {
    await createLegacyUsersTable(client);
    await insertLegacyUsers(client, { rows: 1_234, firstId: 1_000, chunkRows: 500 });
    const { rows } = await client.query(
      "select count(*)::int as n, count(distinct id)::int as ids, min(id)::int as min, " +
        "max(id)::int as max from public.users",
    );
    return rows[0];
  });

  assert.deepEqual(stats, { n: 1_234, ids: 1_234, min: 1_000, max: 2_233 });
});

Deno.test("insertLegacyUsers() with the same seed gives the same rows, however chunked", async () => {
  await using db = await createTestDatabase();
  await withClient(db.url, async (client) => {
    const tables = ["a", "b", "c"].map((name) => ({ schema: "legacy", name }));
    for (const table of tables) await createLegacyUsersTable(client, { table });
    await insertLegacyUsers(client, { rows: 3_000, table: tables[0], seed: 7 });
    await insertLegacyUsers(client, { rows: 3_000, table: tables[1], seed: 7, chunkRows: 777 });
    await insertLegacyUsers(client, { rows: 3_000, table: tables[2], seed: 8 });

    const { rows } = await client.query(
      `select (select count(*)::int from (table legacy.a except table legacy.b) d) as a_not_b,
        (select count(*)::int from (table legacy.b except table legacy.a) d) as b_not_a,
        (select count(*)::int from legacy.a join legacy.c using (id)
          where a.username is not distinct from c.username) as same_name_other_seed`,
    );
    assert.equal(rows[0].a_not_b, 0);
    assert.equal(rows[0].b_not_a, 0);
    assert.ok(rows[0].same_name_other_seed < 600, `${rows[0].same_name_other_seed} names alike`);
  });
});

Deno.test("a generated 20,000-row legacy table", async (t) => {
  await using db = await createTestDatabase();
  await withClient(db.url, async (client) => {
    await createLegacyUsersTable(client);
    await insertLegacyUsers(client, { rows: 20_000, seed: SEED });
    const { rows } = await client.query<{ category: LegacyUserCategory; username: string | null }>(
      `select ${legacyUserCategorySql("id", SEED)} as category, username from public.users`,
    );

    await t.step("draws every category of the mix at roughly its rate", () => {
      const counts = new Map<string, number>();
      for (const { category } of rows) counts.set(category, (counts.get(category) ?? 0) + 1);
      for (const { category, rate } of LEGACY_USER_MIX) {
        const count = counts.get(category) ?? 0;
        assert.ok(count > 0, `${category} never occurs`);
        if (rate >= 0.01) {
          const expected = rate * rows.length;
          assert.ok(
            count > expected / 2 && count < expected * 2,
            `${category}: ${count} rows, expected about ${expected}`,
          );
        }
      }
    });

    await t.step("gives each row a username that looks like its category", () => {
      const wrong = rows.filter(({ category, username }) => !looksLike(category, username));
      assert.deepEqual(wrong.slice(0, 5), []);
    });

    await t.step("makes popular names collide many times, also in case", async () => {
      const { rows: alex } = await client.query(
        "select username, count(*)::int as n from public.users " +
          "where lower(username) = 'alex' group by 1",
      );
      const counts = Object.fromEntries(alex.map((r) => [r.username, r.n]));
      assert.ok(counts.alex > 25, `alex ${counts.alex} times`);
      assert.ok(counts.Alex > 0 && counts.ALEX > 0, JSON.stringify(counts));
    });

    await t.step(
      "spreads created_at over ten years, with nulls, shared instants and outliers",
      async () => {
        const { rows: [stats] } = await client.query(
          `select count(*) filter (where created_at is null)::int as nulls,
          count(*) filter (where created_at < '1970-01-01')::int as before_1970,
          count(*) filter (where created_at >= '2030-01-01')::int as future,
          count(*) filter (where created_at >= '2015-01-01' and created_at < '2025-01-03')::int
            as in_ten_years,
          (select max(n)::int from (select count(*) as n from public.users
            where created_at is not null group by created_at) d) as most_shared
        from public.users`,
        );
        assert.ok(stats.nulls > 100 && stats.nulls < 400, `${stats.nulls} nulls`);
        assert.ok(stats.before_1970 > 0 && stats.before_1970 < 40, `${stats.before_1970} < 1970`);
        assert.ok(stats.future > 0 && stats.future < 40, `${stats.future} in the future`);
        assert.ok(stats.in_ten_years > 19_000 * 0.95, `${stats.in_ten_years} in 2015-2025`);
        assert.ok(stats.most_shared > 20, `at most ${stats.most_shared} share a created_at`);
      },
    );

    await t.step(
      "gives plausible e-mail addresses and mostly realistic display names",
      async () => {
        const { rows: [stats] } = await client.query(
          `select count(*) filter (where email !~ '^[a-z]+\\.[a-z]+[0-9]+@[a-z.]*example')::int
            as odd_emails,
          count(*) filter (where email is null)::int as no_email,
          count(*) filter (where display_name is null)::int as no_display_name
        from public.users`,
        );
        assert.equal(stats.odd_emails, 0);
        assert.ok(stats.no_email > 200 && stats.no_email < 1_200, `${stats.no_email} no e-mail`);
        assert.ok(stats.no_display_name > 1_500 && stats.no_display_name < 4_000);
      },
    );
  });
});

Deno.test("changeLegacyUsers() renames, deletes and inserts as many users as asked", async () => {
  await using db = await createTestDatabase();
  await withClient(db.url, async (client) => {
    await createLegacyUsersTable(client);
    await insertLegacyUsers(client, { rows: 2_000, seed: 3 });
    await client.query("create table before as table public.users");

    const changes = await changeLegacyUsers(client, {
      renames: 60,
      deletes: 25,
      inserts: 40,
      firstNewId: 2_001,
      seed: 3,
    });

    assert.equal(changes.renamed, 60);
    assert.equal(changes.deleted, 25);
    assert.equal(changes.inserted, 40);
    assert.ok(changes.renamedBack > 0 && changes.renamedBack < 20, `${changes.renamedBack} back`);
    const { rows: [stats] } = await client.query(
      `select (select count(*)::int from public.users) as total,
        (select count(*)::int from before where id not in (select id from public.users))
          as gone,
        (select count(*)::int from public.users where id between 2001 and 2040
          and created_at is not null) as new,
        (select count(*)::int from public.users u join before b using (id)
          where u.username is distinct from b.username) as renamed,
        (select count(*)::int from public.users u join before b using (id)
          where u.username is distinct from b.username and exists (select from public.users o
            where o.id <> u.id and o.username = u.username)) as contested`,
    );
    assert.equal(stats.total, 2_000 - 25 + 40);
    assert.equal(stats.gone, 25);
    assert.equal(stats.new, 40);
    assert.equal(stats.renamed, changes.renamed - changes.renamedBack);
    assert.ok(stats.contested > 0, "no rename went to a name another user holds");
  });
});

Deno.test("changeLegacyUsers() changes nothing when the batch fails", async () => {
  await using db = await createTestDatabase();
  await withClient(db.url, async (client) => {
    await createLegacyUsersTable(client);
    await insertLegacyUsers(client, { rows: 500 });
    const snapshot = "select md5(string_agg(u::text, ',' order by id)) as h from public.users u";
    const before = (await client.query(snapshot)).rows[0].h;

    await assert.rejects(
      changeLegacyUsers(client, { renames: 10, deletes: 10, inserts: 10, firstNewId: 400 }),
      /duplicate key/,
    );

    assert.equal((await client.query(snapshot)).rows[0].h, before);
    const again = await changeLegacyUsers(client, {
      renames: 10,
      deletes: 10,
      inserts: 10,
      firstNewId: 501,
    });
    assert.deepEqual([again.renamed, again.deleted, again.inserted], [10, 10, 10]);
  });
});

Deno.test("createLegacyUsersTable() replaces an existing table, creating its schema", async () => {
  await using db = await createTestDatabase();
  const table = { schema: "Legacy App", name: "Users" };
  const columns = await withClient(db.url, async (client) => {
    await createLegacyUsersTable(client, { table });
    await insertLegacyUsers(client, { rows: 10, table });
    await createLegacyUsersTable(client, { table });
    const { rows: [{ n }] } = await client.query(
      `select count(*)::int as n from "Legacy App"."Users"`,
    );
    assert.equal(n, 0);
    const { rows } = await client.query(
      `select column_name, data_type from information_schema.columns
       where table_schema = $1 and table_name = $2 order by ordinal_position`,
      [table.schema, table.name],
    );
    return rows.map((r) => `${r.column_name} ${r.data_type}`);
  });

  assert.deepEqual(columns, [
    "id bigint",
    "username text",
    "created_at timestamp with time zone",
    "display_name text",
    "email text",
  ]);
});

Deno.test("insertLegacyUsers() and changeLegacyUsers() refuse counts that are not counts", async () => {
  await using db = await createTestDatabase();
  await withClient(db.url, async (client) => {
    await createLegacyUsersTable(client);

    await assert.rejects(
      insertLegacyUsers(client, { rows: -1 }),
      new RangeError("Cannot insert legacy users: rows must be an integer >= 0, got -1"),
    );
    await assert.rejects(
      changeLegacyUsers(client, { renames: 1.5, deletes: 0, inserts: 0, firstNewId: 1 }),
      new RangeError("Cannot change legacy users: renames must be an integer >= 0, got 1.5"),
    );
  });
});
