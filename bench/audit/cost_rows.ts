/**
 * The policy's cost per name on the legacy path, in µs: exact-tier ASCII names and derived
 * (Unicode) names. Printed beside the targets, never gated: timings vary with the machine.
 *
 * @module
 */

import { usernameCandidate, type UsernameCandidateOptions } from "../../src/policy/mod.ts";
import type { AuditRow } from "./audit_row.ts";

/** Each measure runs for at least this long, after one warm-up pass. */
const MIN_MS = 300;

function microsPerName(names: readonly string[], options: UsernameCandidateOptions): {
  micros: number;
  calls: number;
} {
  for (const name of names) usernameCandidate(name, options);
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (const name of names) usernameCandidate(name, options);
    calls += names.length;
    elapsed = performance.now() - start;
  } while (elapsed < MIN_MS);
  return { micros: (elapsed * 1000) / calls, calls };
}

function costRow(
  row: string,
  names: readonly string[],
  limit: number,
  options: UsernameCandidateOptions,
): AuditRow {
  const { micros, calls } = microsPerName(names, options);
  return {
    row,
    n: calls,
    count: names.length,
    value: micros,
    unit: "µs",
    target: { op: "<=", value: limit },
    gated: false,
    failures: [],
  };
}

/** The cost rows: `exact` must be exact-tier names, `derived` names that need the derived tier. */
export function costRows(
  exact: readonly string[],
  derived: readonly string[],
  options: UsernameCandidateOptions,
): AuditRow[] {
  return [
    costRow("µs per name: exact tier (ASCII)", exact, 2, options),
    costRow("µs per name: derived tier (Unicode)", derived, 10, options),
  ];
}
