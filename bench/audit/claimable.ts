/**
 * Whether a path would give an account a name. The legacy path (snapshot and stream) asks
 * `usernameCandidate`; the API path asks `validateUsername` on the request ASCII-lower-cased, as
 * the API does (`Admin` is judged as `admin`).
 *
 * @module
 */

import {
  usernameCandidate,
  type UsernameCandidateOptions,
  validateUsername,
} from "../../src/policy/mod.ts";
import { readsAs } from "../../tests/support/evasions.ts";

/** A path that hands out names. */
export type NamePath = "legacy" | "api";

const UPPER = /[A-Z]+/g;
const API_CHARS = /^[a-z0-9._]*$/;

/** `text` with only the ASCII letters lower-cased. */
export function asciiLower(text: string): string {
  return text.replace(UPPER, (letters) => letters.toLowerCase());
}

/** Whether the legacy path gives the account `name` itself (ASCII case aside). */
export function legacyClaims(name: string, options: UsernameCandidateOptions): boolean {
  const decision = usernameCandidate(name, options);
  return decision.kind === "candidate" && decision.username === asciiLower(name);
}

/** Whether the API accepts `name`, lower-cased first as the API does. */
export function apiClaims(name: string, options: UsernameCandidateOptions): boolean {
  return validateUsername(asciiLower(name), options).valid;
}

/** Whether a user may ask the API for `name` at all: only `a-z 0-9 . _`, any ASCII case. */
export function isApiRequest(name: string): boolean {
  return API_CHARS.test(asciiLower(name));
}

/** The paths that give an account the name `name` itself; empty when every path refuses it. */
export function claimingPaths(name: string, options: UsernameCandidateOptions): NamePath[] {
  const paths: NamePath[] = [];
  if (legacyClaims(name, options)) paths.push("legacy");
  if (isApiRequest(name) && apiClaims(name, options)) paths.push("api");
  return paths;
}

/**
 * The paths on which the evasion `variant` of the protected `root` gets a name that reads as
 * `root`: the legacy path when its candidate is the variant itself or still reads as the root
 * (`a..dmin` → `a.dmin`, `аdmin` → `admin`); the API path when it accepts the variant.
 */
export function impersonatingPaths(
  variant: string,
  root: string,
  options: UsernameCandidateOptions,
): { path: NamePath; username: string }[] {
  const claims: { path: NamePath; username: string }[] = [];
  const decision = usernameCandidate(variant, options);
  if (
    decision.kind === "candidate" &&
    (decision.username === asciiLower(variant) || readsAs(decision.username, root))
  ) {
    claims.push({ path: "legacy", username: decision.username });
  }
  if (isApiRequest(variant) && apiClaims(variant, options)) {
    claims.push({ path: "api", username: asciiLower(variant) });
  }
  return claims;
}

/** `name` with why the paths refuse it, for a report: `anita (api: PROFANE; legacy: PROFANE)`. */
export function refusalNote(name: string, options: UsernameCandidateOptions): string {
  const notes: string[] = [];
  const decision = usernameCandidate(name, options);
  if (decision.kind === "none") notes.push(`legacy: ${decision.reasons.join(",")}`);
  else if (decision.username !== asciiLower(name)) notes.push(`legacy: → ${decision.username}`);
  const verdict = validateUsername(asciiLower(name), options);
  if (!verdict.valid) {
    const like = verdict.resembles === undefined ? "" : ` ~${verdict.resembles}`;
    notes.push(`api: ${verdict.reasons.join(",")}${like}`);
  }
  return notes.length === 0 ? name : `${name} (${notes.join("; ")})`;
}
