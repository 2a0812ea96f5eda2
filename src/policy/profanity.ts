/**
 * Profanity, judged by `obscenity`'s English dataset and recommended transformers (leetspeak,
 * confusables, repeated letters), which avoids the Scunthorpe problem.
 *
 * `RegExpMatcher.hasMatch` runs one global regex per term and costs ~20 µs a call, too slow for
 * hundreds of millions of names. So the same transformers feed one combined regex of every term
 * first; only a string that this pre-filter flags (rare) goes to the matcher, whose whitelist
 * decides. The pre-filter matches a superset of what the matcher does, so the answer is the same.
 *
 * @module
 */

import {
  englishDataset,
  englishRecommendedTransformers,
  type Node,
  type ParsedPattern,
  RegExpMatcher,
  SyntaxKind,
  type TransformerContainer,
} from "obscenity";

const dataset = englishDataset.build();
const matcher = new RegExpMatcher({ ...dataset, ...englishRecommendedTransformers });

/** Mirrors obscenity's own pattern compiler: literals escaped, `?` wildcards, `|` word bounds. */
function nodeSource(node: Node): string {
  switch (node.kind) {
    case SyntaxKind.Literal:
      return String.fromCodePoint(...node.chars).replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
    case SyntaxKind.Optional:
      return `(?:${nodeSource(node.childNode)})?`;
    default:
      return ".";
  }
}

function patternSource(pattern: ParsedPattern): string {
  return (pattern.requireWordBoundaryAtStart ? "\\b" : "") +
    pattern.nodes.map(nodeSource).join("") +
    (pattern.requireWordBoundaryAtEnd ? "\\b" : "");
}

const anyTerm = new RegExp(
  dataset.blacklistedTerms.map((term) => patternSource(term.pattern)).join("|"),
  "s",
);

type Transform = { transform(char: number): number | undefined; reset?(): void };

const transforms: Transform[] = (englishRecommendedTransformers.blacklistMatcherTransformers ?? [])
  .map((container: TransformerContainer) =>
    "factory" in container ? container.factory() : { transform: container.transform }
  );

// The stateless transformers before the first stateful one, applied to ASCII once, here: most
// names are ASCII, and this table halves the cost of a check.
const firstStateful = transforms.findIndex((t) => t.reset !== undefined);
const statelessCount = firstStateful < 0 ? transforms.length : firstStateful;
const ASCII_TABLE = Int32Array.from({ length: 128 }, (_, code) => {
  let char: number | undefined = code;
  for (let t = 0; t < statelessCount && char !== undefined; t++) {
    char = transforms[t]!.transform(char);
  }
  return char ?? -1;
});

/** The text as the blacklist sees it, the same way `RegExpMatcher` transforms it. */
function transformed(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    let char: number | undefined = text.codePointAt(i)!;
    let t = 0;
    if (char < 128) {
      const mapped = ASCII_TABLE[char]!;
      char = mapped < 0 ? undefined : mapped;
      t = statelessCount;
    } else if (char > 0xffff) {
      i++;
    }
    for (; t < transforms.length && char !== undefined; t++) char = transforms[t]!.transform(char);
    if (char !== undefined) out += String.fromCodePoint(char);
  }
  for (const t of transforms) t.reset?.();
  return out;
}

/** Whether `text` contains a profane English word (per `obscenity`). */
export function isProfane(text: string): boolean {
  return anyTerm.test(transformed(text)) && matcher.hasMatch(text);
}
