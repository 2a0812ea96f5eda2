/**
 * How the generator builds a username of each category, as SQL expressions over a row's drawn
 * values:
 *
 * - `first`, `last`, `word`: pooled lower-case words (popular first names drawn most often);
 * - `plain`: a valid handle built from them (`alex`, `alex_92`, `maria.silva`);
 * - `s` (0–1023) and `d` (0–65535): independent random integers for choosing variants;
 * - `h3`: the row's third random 64-bit value.
 *
 * Values are built from the pooled words, so the hard cases are not all identical. Templates go
 * through `format()` with these arguments: `%1$s` first, `%2$s` last, `%3$s` two digits,
 * `%4$s` First, `%5$s` Last, `%6$s` four digits, `%7$s` plain.
 *
 * @module
 */
import type { LegacyUserCategory } from "./legacy_user_mix.ts";
import { words } from "./name_pools.ts";
import { sqlPick, sqlText } from "./sql_text.ts";

const FORMAT_ARGS = "first, last, (d % 100)::text, initcap(first), initcap(last), " +
  "lpad((d % 10000)::text, 4, '0'), plain";

/** `format()` with one of `templates` and the standard arguments. */
function formatted(templates: readonly string[]): string {
  return `format(${sqlPick(templates, "s")}, ${FORMAT_ARGS})`;
}

/** One of `values`, with two digits appended to every third. */
function pickWithDigits(values: readonly string[]): string {
  return `${sqlPick(values, "s")} || case when d % 3 = 0 then (d % 100)::text else '' end`;
}

/** `text` with `insert` placed after its k-th character, 1 <= k < length. */
function insideOf(text: string, insert: string): string {
  const k = `(1 + d % greatest(length(${text}) - 1, 1))`;
  return `left(${text}, ${k}) || ${insert} || substr(${text}, ${k} + 1)`;
}

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = LOWER.toUpperCase();
const DIGITS = "0123456789";

/** The letters `first` code point onwards, one per ASCII letter. */
function run(first: number, length = 26): string {
  return String.fromCodePoint(...Array.from({ length }, (_, i) => first + i));
}

/** `translate()` of the ASCII letters (and digits, `.`, `_`) of `text` into another alphabet. */
function restyled(text: string, upper: string, lower: string, rest = ""): string {
  const from = UPPER + LOWER + (rest ? DIGITS + "._" : "");
  return `translate(${text}, ${sqlText(from)}, ${sqlText(upper + lower + rest)})`;
}

const FULLWIDTH = restyled(
  "case when s % 2 = 0 then initcap(plain) else plain end",
  run(0xFF21),
  run(0xFF41),
  run(0xFF10, 10) + "\uFF0E\uFF3F",
);
const STYLES = [
  restyled("initcap(first)", run(0x1D400), run(0x1D41A)), // math bold
  restyled("initcap(first)", run(0x1D5D4), run(0x1D5EE)), // math sans-serif bold
  restyled("initcap(first)", run(0x24B6), run(0x24D0)), // circled
  restyled("initcap(first)", run(0x1D468), run(0x1D482)), // math bold italic
];

const RESERVED = words(`
  admin Admin ADMIN administrator support help api www login settings me u root postmaster
  webmaster abuse noreply system null NULL Null undefined nan NaN true false none nil [deleted]
  deleted ghost anonymous con CON nul aux prn com1 lpt1
`);
const BRANDS = words(`
  paypal PayPal google Google microsoft apple amazon github
`);
const HOMOGLYPHS = [
  "p\u0430ypal",
  "\u0430dmin",
  "g\u03BFogle",
  "paypa1",
  "rnicrosoft",
  "micros0ft",
  "G00gle",
  "\u0430pple",
  "g\u0456thub",
  "\u0455upport",
];
const LIGATURES = [
  "\uFB01sh",
  "\uFB01ona",
  "\uFB02orian",
  "sta\uFB00ord",
  "e\uFB03e",
  "\uFB00ion",
  "ra\uFB00aele",
  "\u01C6enan",
  "\u0133sbrand",
  "\uFB06ella",
];
const LETTERLIKE = [
  "\u212Aevin",
  "\u212Aarl",
  "\u212Aim",
  "Ni\u212Aolai",
  "\u212Bsa",
  "\u2168",
  "Louis\u2166",
  "\u2113ola",
  "\u2160van",
];
const INVISIBLES = [
  "\u200B",
  "\u200C",
  "\u200D",
  "\u2060",
  "\uFEFF",
  "\u00AD",
  "\uFE0F",
  "\u034F",
  "\u180E",
];
const FILLERS = ["\u3164", "\u115F\u1160", "\u3164\u3164\u3164"];
const TAGS = ["\u{E0041}", "\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}", "\u{E0001}"];
const BIDI = [
  "\u202E%1$s",
  "\u2066%7$s\u2069",
  "%7$s\u200F",
  "\u202D%1$s\u202C",
  "\u200E%7$s",
  "%1$s\u202Egpj.exe",
  "\u2067%4$s\u2069",
  "\u061C%1$s",
];
const CONTROLS = [
  "%1$s\t%2$s",
  "%1$s\u0001%2$s",
  "\u001B[31m%1$s\u001B[0m",
  "%1$s\u007F%3$s",
  "%1$s\r\n%2$s",
  "%1$s\u0008%3$s",
  "%1$s\u0085%2$s",
  "%1$s\u001F%2$s",
];
const EMOJI = [
  "%1$s\u{1F600}",
  "\u{1F600}\u{1F600}",
  "%1$s\u{1F525}%3$s",
  "\u2764\uFE0F%1$s",
  "%1$s\u{1F44D}\u{1F3FD}",
  "\u{1F468}\u200D\u{1F469}\u200D\u{1F467}",
  "%1$s_\u{1F680}",
  "\u{1F1FA}\u{1F1F8}%1$s",
  "\u2728%4$s\u2728",
  "%7$s\u{1F431}",
];
const ACCENTED = [
  "Jos\u00E9",
  "Fran\u00E7ois",
  "Zo\u00EB",
  "M\u00FCller",
  "\u0141ukasz",
  "S\u00F8ren",
  "Ren\u00E9e",
  "Chlo\u00E9",
  "J\u00FCrgen",
  "Bj\u00F6rk",
  "Dvo\u0159\u00E1k",
  "N\u00FA\u00F1ez",
  "Ana Mar\u00EDa",
  "Gon\u00E7alo",
  "\u00C6gir",
  "\u00DE\u00F3r",
  "\u0110or\u0111e",
  "\u0160imon",
  "\u00D8rjan",
  "\u00D3lafur",
  "m\u00E9lanie",
  "h\u00E9l\u00E8ne",
  "jos\u00E9",
  "\u00C1gnes",
  "g\u00F6ran",
];
const NFD = [
  "Jose\u0301",
  "Zoe\u0308",
  "Rene\u0301e",
  "Franc\u0327ois",
  "be\u0301be\u0301",
  "Mu\u0308ller",
  "Chloe\u0301",
  "Jo\u0308rg",
  "Nu\u0301n\u0303ez",
  "Ame\u0301lie",
  "andre\u0301",
];
const MARKS = [
  "\u0337\u0322",
  "\u0336",
  "\u0301\u0300\u0302\u0303",
  "\u0315\u031B\u0340\u0341\u0358\u0321\u0322\u0327\u0328\u0334",
];
const TURKISH = [
  "\u0130stanbul",
  "\u0131lgaz",
  "I\u015F\u0131k",
  "\u0130rem",
  "\u0130lker",
  "\u00C7a\u011Fr\u0131",
  "K\u0131rm\u0131z\u0131",
  "\u0130pek",
  "SIRRI\u0130",
];
const SHARP_S = [
  "Stra\u00DFe",
  "Gau\u00DF",
  "Wei\u00DF",
  "Strau\u00DF",
  "Mei\u00DFner",
  "Gro\u00DFmann",
  "GRO\u1E9E",
  "fu\u00DFball",
];
const GREEK_CYRILLIC = [
  "\u0391\u03BB\u03AD\u03BE\u03B7\u03C2",
  "\u039C\u03B1\u03C1\u03AF\u03B1",
  "\u039D\u03AF\u03BA\u03BF\u03C2",
  "\u0393\u03B9\u03CE\u03C1\u03B3\u03BF\u03C2",
  "\u0395\u03BB\u03AD\u03BD\u03B7",
  "\u03A3\u03BF\u03C6\u03AF\u03B1",
  "\u041C\u043E\u0441\u043A\u0432\u0430",
  "\u0414\u043C\u0438\u0442\u0440\u0438\u0439",
  "\u041E\u043B\u044C\u0433\u0430",
  "\u0421\u0435\u0440\u0433\u0435\u0439",
  "\u041D\u0430\u0442\u0430\u043B\u044C\u044F",
  "\u0418\u0432\u0430\u043D",
  "\u0430\u043B\u0435\u043A\u0441\u0435\u0439",
  "\u041E\u043B\u0435\u043A\u0441\u0430\u043D\u0434\u0440",
];
const OTHER_SCRIPTS = [
  "\u5C71\u7530\u592A\u90CE",
  "\u4F50\u85E4",
  "\u738B\u4F1F",
  "\u674E\u5A1C",
  "\u5F20\u4F1F",
  "\u3055\u304F\u3089",
  "\u30BF\u30CA\u30AB",
  "\u0645\u062D\u0645\u062F",
  "\u0641\u0627\u0637\u0645\u0629",
  "\u0639\u0644\u064A",
  "\uAE40\uBBFC\uC900",
  "\uC774\uC11C\uC5F0",
  "\uBC15\uC9C0\uD6C8",
  "\u05D3\u05D5\u05D3",
  "\u0E2A\u0E21\u0E0A\u0E32\u0E22",
];
const MIXED_SCRIPTS = [
  "%1$s\u05D0\u05D1",
  "%1$s\u0414\u0438\u043C\u0430",
  "\u0410\u043B\u0435\u043A\u0441%1$s",
  "%4$s\u5C71\u7530",
  "%1$s_\u0645\u062D\u0645\u062F",
  "Ivan\u043E\u0432",
];
const EDGE_SEPARATORS = [
  ".%1$s",
  "%7$s.",
  "..%1$s..",
  "_%7$s",
  "%1$s_",
  "__%1$s__",
  "-%1$s-",
  ".%1$s_%2$s",
  "%7$s-",
];
const CONSECUTIVE_SEPARATORS = [
  "%1$s..%2$s",
  "%1$s._%2$s",
  "%1$s__%2$s",
  "%1$s_.%3$s",
  "%1$s...%2$s",
  "%1$s-_%2$s",
];
const INNER_SPACES = [
  "%4$s %5$s",
  "%1$s\u00A0%2$s",
  "%1$s\u3000%2$s",
  "%1$s  %2$s",
  "%4$s %5$s %3$s",
  "%1$s %3$s",
];
const PUNCTUATION = [
  "%1$s-%2$s",
  "o'%2$s",
  "%1$s!",
  "%1$s#%3$s",
  "%1$s+%2$s",
  "%1$s&%2$s",
  "%1$s,%2$s",
  "%1$s*",
  "%4$s-%5$s",
  "d'%2$s",
  "%1$s(%3$s)",
  "%1$s~%2$s",
];
const PERCENT_ENCODED = [
  "%1$s%%20%2$s",
  "%1$s%%2E%2$s",
  "%1$s%%40example",
  "%%F0%%9F%%98%%80%1$s",
  "%4$s%%20%5$s",
];
const EMAILS = [
  "%1$s.%2$s@example.com",
  "%1$s%3$s@example.org",
  "%4$s.%5$s@example.net",
  "%1$s@mail.example.com",
  "%1$s_%2$s@corp.example",
  "%7$s@example.com",
];
const PHONES = [
  "+1415555%6$s",
  "(415) 555-%6$s",
  "+44 20 7946 %6$s",
  "0151 496 %6$s",
  "+4930123%6$s",
  "555-%6$s",
  "+61 2 5550 %6$s",
];
const SQL_INJECTIONS = [
  "%1$s'; DROP TABLE users;--",
  "' OR '1'='1",
  "Robert'); DROP TABLE Students;--",
  "%1$s' --",
  "1; SELECT pg_sleep(10)",
  '%1$s"; DELETE FROM accounts; --',
  "' UNION SELECT password FROM users --",
];
const HTML = [
  "<script>alert(1)</script>",
  "<b>%1$s</b>",
  "<img src=x onerror=alert(1)>",
  "%1$s<br>",
  "&lt;%1$s&gt;",
  '"><svg onload=alert(1)>',
  '<a href="javascript:alert(1)">%1$s</a>',
];
const PROFANE = [
  "fuckface",
  "sh1tlord",
  "\uFB00uck",
  "FuckFace%3$s",
  "sh1tlord_%3$s",
  "b1tch%3$s",
  "asshole%3$s",
  "%1$s_is_a_dickhead",
  "shithead",
];
const FALSE_POSITIVES = words(`
  scunthorpe Scunthorpe cockburn penistone sussex essex therapist assassin dickens cassandra
`);

/** The SQL expression that builds a username of each category. */
export const MESSY_USERNAME_SQL: Record<LegacyUserCategory, string> = {
  plain: "plain",
  case_variant: "case s % 4 when 0 then upper(plain) " +
    "when 1 then lower(left(plain, 1)) || upper(substr(plain, 2)) else initcap(plain) end",
  null: "null::text",
  empty: "''",
  whitespace_only: sqlPick([" ", "   ", "\t", "\n", " \t ", "\u00A0", "\u3000", "\r\n"], "s"),
  padded: formatted([" %7$s", "%7$s ", "  %7$s  ", "\t%7$s", "%7$s\n", "\u00A0%7$s", "%7$s\u3000"]),
  reserved: sqlPick(RESERVED, "s"),
  protected_brand: sqlPick(BRANDS, "s"),
  homoglyph: pickWithDigits(HOMOGLYPHS),
  fullwidth: FULLWIDTH,
  stylized: `case s % 4 ${STYLES.map((style, i) => `when ${i} then ${style}`).join(" ")} end`,
  ligature: pickWithDigits(LIGATURES),
  letterlike: sqlPick(LETTERLIKE, "s"),
  invisible: `case when s % 10 = 0 then ${sqlPick(FILLERS, "s / 10")} ` +
    `else ${insideOf("plain", sqlPick(INVISIBLES, "s / 10"))} end`,
  tag_chars: insideOf("first", sqlPick(TAGS, "s")),
  bidi: formatted(BIDI),
  control_chars: formatted(CONTROLS),
  emoji: formatted(EMOJI),
  accented: pickWithDigits(ACCENTED),
  nfd: pickWithDigits(NFD),
  zalgo: `regexp_replace(initcap(first), '(.)', E'\\\\1' || ${sqlPick(MARKS, "s")}, 'g')`,
  turkish: pickWithDigits(TURKISH),
  sharp_s: pickWithDigits(SHARP_S),
  greek_cyrillic: pickWithDigits(GREEK_CYRILLIC),
  other_scripts: pickWithDigits(OTHER_SCRIPTS),
  mixed_script: formatted(MIXED_SCRIPTS),
  too_short: "case s % 5 when 0 then left(first, 1) when 1 then left(first, 2) " +
    "when 2 then initcap(left(first, 2)) when 3 then (d % 100)::text else 'ab' end",
  too_long: "left(case s % 3 when 0 then repeat(left(first, 1), 300) " +
    "when 1 then repeat(first || '_' || last || '_', 60) else repeat(first, 100) end, " +
    "40 + d % 261)",
  // Mostly 258 to 5,000 CJK characters; every fourth exactly 5,000.
  oversize: "repeat(chr(19968 + d % 20000) || chr(19968 + (d * 7 + s) % 20000), " +
    "case when s % 4 = 0 then 2500 else 129 + d % 2372 end)",
  digits_only: "case s % 5 when 0 then lpad((d % 1000)::text, 3, '0') " +
    "when 1 then (1950 + d % 75)::text when 2 then (100000 + d * 13 % 900000)::text " +
    "when 3 then '12345' else (100 + d % 900)::text end",
  edge_separators: formatted(EDGE_SEPARATORS),
  consecutive_separators: formatted(CONSECUTIVE_SEPARATORS),
  inner_space: formatted(INNER_SPACES),
  punctuation: formatted(PUNCTUATION),
  percent_encoded: formatted(PERCENT_ENCODED),
  email_shaped: formatted(EMAILS),
  phone_shaped: formatted(PHONES),
  sql_looking: formatted(SQL_INJECTIONS),
  html_looking: formatted(HTML),
  profane: formatted(PROFANE),
  profanity_false_positive: sqlPick(FALSE_POSITIVES, "s"),
  generated_looking:
    "case when s % 4 = 0 then 'user' || lpad((d * 7919 % 1000000)::text, 6, '0') " +
    "else 'user_' || left(md5(h3::text), 10) end",
};
