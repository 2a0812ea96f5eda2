/**
 * Impersonation: evasion variants of protected names (`adm1n`, `adrnin`, `official_admin`,
 * `аdmin`) that a path would hand out, per path and by any path.
 *
 * @module
 */

import type { UsernameCandidateOptions } from "../../src/policy/mod.ts";
import {
  evasionVariants,
  OPERATOR_NAMES,
  PROTECTED_EXAMPLES,
} from "../../tests/support/evasions.ts";
import { type AuditRow, rateRow, tally } from "./audit_row.ts";
import { impersonatingPaths, isApiRequest } from "./claimable.ts";

/** The variants generated per protected name. */
export const VARIANTS_PER_NAME = 300;

interface Judged {
  root: string;
  variant: string;
  kinds: readonly string[];
  /** Its place among the variants of its root. */
  rank: number;
  claims: { path: string; username: string }[];
}

function describe(judged: Judged): string {
  const claims = judged.claims.map(({ path, username }) =>
    username === judged.variant.toLowerCase() ? path : `${path} → ${username}`
  );
  const recipe = judged.kinds.join("+");
  return `${JSON.stringify(judged.variant)} ~${judged.root} [${recipe}] (${claims.join(", ")})`;
}

/** The rows of variants claimable on the legacy path, on the API path, and on any path. */
export function impersonationRows(options: UsernameCandidateOptions, seed: number): AuditRow[] {
  const judged: Judged[] = [];
  [...PROTECTED_EXAMPLES, ...OPERATOR_NAMES].forEach((root, i) => {
    const variants = evasionVariants(root, { count: VARIANTS_PER_NAME, seed: seed + i });
    variants.forEach(({ text, kinds }, rank) => {
      const claims = impersonatingPaths(text, root, options);
      judged.push({ root, variant: text, kinds, rank, claims });
    });
  });
  // Simplest recipes first, names taking turns: the first examples are the plainest leaks.
  judged.sort((a, b) => a.kinds.length - b.kinds.length || a.rank - b.rank);
  const target = { op: "<=", value: 1 } as const;
  const on = (path: string) => (item: Judged) => item.claims.some((claim) => claim.path === path);
  return [
    rateRow(
      "impersonation variants claimable: legacy path",
      tally(judged, on("legacy"), describe),
      target,
    ),
    rateRow(
      "impersonation variants claimable: API path",
      tally(judged.filter((item) => isApiRequest(item.variant)), on("api"), describe),
      target,
    ),
    rateRow(
      "impersonation variants claimable: any path",
      tally(judged, (item) => item.claims.length > 0, describe),
      target,
    ),
  ];
}
