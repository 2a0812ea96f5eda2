/**
 * The set-based SQL that generates legacy user rows. Every value of a row is a function of its id
 * and the seed alone (through `hashint8extended`), so rows come out the same whatever the chunks.
 *
 * @module
 */
import { LEGACY_USER_MIX, type LegacyUserCategory } from "./legacy_user_mix.ts";
import { MESSY_USERNAME_SQL } from "./messy_username_sql.ts";
import { EMAIL_DOMAINS, FIRST_NAMES, HANDLE_WORDS, LAST_NAMES } from "./name_pools.ts";
import { sqlPick, sqlText, sqlTextArray } from "./sql_text.ts";

/** SQL expressions that place the generated rows. */
export interface LegacyUserRowsSql {
  /** A set of ids (a set-returning function or a subquery), aliased `g(id)` by the caller. */
  ids: string;
  /** The seed, a bigint expression. */
  seed: string;
  /** First id and row count of the batch; `created_at` grows with the id across it. */
  batchFirstId: string;
  batchRows: string;
}

/** Category draws are made in 1/2^20 units. */
const BUCKETS = 1 << 20;

/** The upper bound (exclusive) of each category's bucket range, in drawing order. */
const THRESHOLDS: ReadonlyArray<readonly [LegacyUserCategory, number]> = (() => {
  let cumulative = 0;
  return LEGACY_USER_MIX.map(({ category, rate }, i) => {
    cumulative += rate;
    const last = i === LEGACY_USER_MIX.length - 1;
    return [category, last ? BUCKETS : Math.round(cumulative * BUCKETS)] as const;
  });
})();

/** The n-th random 64-bit stream of a row: independent per stream, id and seed. */
function stream(id: string, seed: string, n: number): string {
  return `hashint8extended(${id}, hashint8extended(${seed}, ${n}))`;
}

/** `case` over the category bucket, taking the value `choose(category)` in its range. */
function byCategory(bucket: string, choose: (category: LegacyUserCategory) => string): string {
  const arms = THRESHOLDS.map(([category, below]) =>
    `when ${bucket} < ${below} then ${choose(category)}`
  );
  return `case ${arms.join(" ")} end`;
}

/** The category each generated row was drawn from, as SQL over its id (for rows as inserted). */
export function legacyUserCategorySql(id: string, seed: number): string {
  return byCategory(`(${stream(id, `${seed}::bigint`, 1)} & ${BUCKETS - 1})`, sqlText);
}

const TEN_YEARS_SECONDS = 315_576_000;
const START_2015 = 1_420_070_400;
const START_2030 = 1_893_456_000;
const SEVENTY_YEARS_SECONDS = 2_208_988_800;
/** Instants that many rows share, as after a bulk import. */
const SHARED_INSTANTS = [
  "2015-01-01 00:00:00+00",
  "2016-06-30 12:00:00+00",
  "2018-03-15 09:30:00+00",
  "2020-01-01 00:00:00+00",
  "1970-01-01 00:00:00+00",
];

/**
 * `created_at` in 1/10,000 draws: 1% NULL, 0.05% in 2030–2100, 0.05% in 1900–1970, 2% on a few
 * shared instants, 15% anywhere in 2015–2025 to the second, the rest growing with the id across
 * those ten years, give or take two days, to the millisecond.
 */
const CREATED_AT = `case
  when t < 100 then null
  when t < 105 then to_timestamp(${START_2030} + j % ${SEVENTY_YEARS_SECONDS})
  when t < 110 then to_timestamp(${-SEVENTY_YEARS_SECONDS} + j % ${SEVENTY_YEARS_SECONDS})
  when t < 310 then (array[${SHARED_INSTANTS.map(sqlText).join(", ")}]::timestamptz[])
    [1 + j % ${SHARED_INSTANTS.length}]
  when t < 1810 then to_timestamp(${START_2015} + j % ${TEN_YEARS_SECONDS})
  else to_timestamp(${START_2015} + pos * ${TEN_YEARS_SECONDS} + (j % 345600 - 172800)
    + (j / 345600 % 1000)::float8 / 1000)
end`;

/** The `select` of generated rows: `id, username, created_at, display_name, email`. */
export function legacyUserRowsSql(sql: LegacyUserRowsSql): string {
  const pick = (values: readonly string[], index: string) => `(${sqlTextArray(values)})[${index}]`;
  const firstCount = FIRST_NAMES.length;
  // Squaring a uniform draw favours the head of the list: the first name comes ~8% of the time.
  const firstIndex = `1 + ((${firstCount} * x * x) >> 32)`;
  const streams = [1, 2, 3].map((n) => `${stream("g.id", sql.seed, n)} as h${n}`).join(", ");
  return `
select g.id, u.username, ${CREATED_AT} as created_at,
  case when dn < 2 then null
    when dn < 11 then initcap(first) || ' ' || initcap(last)
    when dn < 15 then left(u.username, 64)
    else '' end as display_name,
  case when em < 30 then null
    else first || '.' || last || g.id || '@' || ${sqlPick(EMAIL_DOMAINS, "em")} end as email
from ${sql.ids} as g(id)
cross join lateral (select ${streams}) h
cross join lateral (select (h.h1 & ${BUCKETS - 1})::int as bucket, ((h.h1 >> 20) & 1023)::int as s,
  (h.h1 >> 30) & 65535 as x, ((h.h1 >> 46) & 65535)::int as y,
  ((h.h2 & 65535) % 100)::int as form, ((h.h2 >> 16) & 65535)::int as d,
  ((h.h2 >> 32) & 65535)::int as w, ((h.h2 >> 48) & 15)::int as dn,
  ((h.h2 >> 52) & 1023)::int as em, ((h.h3 & 1073741823) % 10000)::int as t,
  (h.h3 >> 30) & 8589934591 as j,
  (g.id - (${sql.batchFirstId}))::float8 / greatest(${sql.batchRows}, 1) as pos) r
-- offset 0: look the words up once per row, not once per use (it also plans ~8x faster).
cross join lateral (select ${pick(FIRST_NAMES, firstIndex)} as first,
  ${sqlPick(LAST_NAMES, "y")} as last, ${sqlPick(HANDLE_WORDS, "w")} as word offset 0) n
-- A legacy table kept its usernames unique, so most handles are one of a kind; a few bare
-- popular names (and the case variants built from them) are the contested ones.
cross join lateral (select case
  when form < 4 then first
  when form < 10 then first || d % 100
  when form < 30 then first || j % 100000
  when form < 40 then first || 1950 + d % 60 || '_' || t
  when form < 50 then first || '_' || j % 1000000
  when form < 60 then first || '.' || last || t % 1000
  when form < 66 then first || '.' || last
  when form < 74 then first || '_' || last || d % 100
  when form < 82 then first || last || j % 10000
  when form < 90 then left(first, 1) || last || t
  when form < 95 then word || '_' || first || d % 1000
  else word || first || j % 100000 end as plain) p
cross join lateral (select ${byCategory("bucket", (c) => MESSY_USERNAME_SQL[c])} as username) u`;
}
