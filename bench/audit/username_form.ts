/**
 * A list entry turned into a username the way a user would type it: lower-case, transliterated
 * to ASCII, every run of other characters one `_`, no `_` at the ends (`Blow Job` → `blow_job`,
 * `Çingene` → `cingene`). Entries that give no well-formed 3–30 character name are not counted.
 *
 * @module
 */

import anyAscii from "any-ascii";
import { isWellFormedUsername } from "../../src/policy/mod.ts";

const NOT_NAME_CHARS = /[^a-z0-9]+/g;
const EDGE_UNDERSCORES = /^_+|_+$/g;

/** The username form of `entry`, or `null` when it is not a well-formed username. */
export function usernameForm(entry: string): string | null {
  const form = anyAscii(entry.toLowerCase()).toLowerCase().replace(NOT_NAME_CHARS, "_")
    .replace(EDGE_UNDERSCORES, "");
  return isWellFormedUsername(form) ? form : null;
}

/** The distinct well-formed username forms of `entries`, in first-seen order. */
export function usernameForms(entries: Iterable<string>): string[] {
  const forms = new Set<string>();
  for (const entry of entries) {
    const form = usernameForm(entry);
    if (form !== null) forms.add(form);
  }
  return [...forms];
}
