/**
 * Legacy values shaped like a payload rather than a name: markup (`<body onload=…>`), SQL
 * (`'; DROP TABLE users;--`), shell (`$(rm -rf /)`), paths (`../../etc/passwd`), URLs
 * (`javascript:…`), template and formula syntax. Such a value gets a generated fallback, never a
 * name derived from its letters (`body_onload_alert_xss`). Names that merely contain a symbol
 * (`O'Brien`, `Tom & Jerry`, `bob (work)`, `-bob-`) are not payloads.
 *
 * @module
 */

import type { ReasonCode } from "./reason_codes.ts";

const MARKUP = /<[a-z!/?][^<>]*>|<(?:script|img|svg|iframe|body|object|embed|style|a|div|input)\b/i;
const CODE_LIKE = new RegExp(
  [
    // URLs and script schemes
    String.raw`[a-z][a-z0-9+.\-]*://`,
    String.raw`^\s*(?:javascript|vbscript|data|file)\s*:`,
    // paths
    String.raw`\.\.[/\\]`,
    String.raw`^\s*(?:/|~/|[a-z]:\\|\\\\)[a-z0-9._\-]+[/\\]`,
    String.raw`/(?:etc|bin|usr|var|tmp|dev|proc)/`,
    // SQL
    String.raw`['"\`]\s*(?:;|--|/\*|\b(?:or|and|union)\b)`,
    String.raw`;\s*(?:drop|select|insert|update|delete|truncate|alter|exec|shutdown)\b`,
    String
      .raw`\b(?:union\s+(?:all\s+)?select|drop\s+(?:table|database)|insert\s+into|delete\s+from|select\s+\S.*\s+from|sleep\s*\(|benchmark\s*\()`,
    String.raw`\b(?:or|and)\s+['"]?\w+['"]?\s*=\s*['"]?\w+`,
    String.raw`--\s*$|/\*.*\*/`,
    // shell
    String.raw`\$\(|\$\{|\x60|&&|\|\||\|\s*(?:sh|bash|nc|curl|wget)\b`,
    String.raw`;\s*(?:rm|cat|ls|curl|wget|nc|sh|bash|chmod|echo)\b`,
    // templates and formulas
    String.raw`\{\{|\{%|<%|#\{`,
    String.raw`^\s*=|^\s*[+\-@][^\s]*[(!|]`,
  ].join("|"),
  "i",
);

/** `MARKUP` or `CODE_LIKE` when `text` is shaped like a payload rather than a name; else none. */
export function payloadReasons(text: string): ReasonCode[] {
  if (MARKUP.test(text)) return ["MARKUP"];
  if (CODE_LIKE.test(text)) return ["CODE_LIKE"];
  return [];
}
