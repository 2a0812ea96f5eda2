/**
 * Reserved usernames: the union of three maintained public lists (`reserved-usernames`,
 * `github-reserved-names`, `the-big-username-blacklist`: route, system, infrastructure and
 * mailbox names) and the project's own groups in `reserved_additions.ts` (runtime sentinels,
 * device names, RFC 2142 and certificate-authority mailboxes, staff and system words). Stored
 * lower-case without separators (`mailer-daemon` → `mailerdaemon`). Every reserved name is also a
 * protected name: its look-alikes are refused too (`protected_names.ts`).
 *
 * @module
 */

import reservedUsernames from "reserved-usernames/data.json" with { type: "json" };
import githubReserved from "github-reserved-names/reserved-names.json" with { type: "json" };
import bigBlacklist from "the-big-username-blacklist";
import { RESERVED_ADDITIONS, RESERVED_ADDITIONS_VERSION } from "./reserved_additions.ts";

/** The public lists the reserved names come from, by package and version. */
export const RESERVED_SOURCES: Readonly<Record<string, readonly string[]>> = {
  "reserved-usernames@1.1.6": reservedUsernames,
  "github-reserved-names@2.2.0": githubReserved,
  "the-big-username-blacklist@1.5.2": bigBlacklist.list as string[],
};

/** The version of the reserved-name list; it changes whenever the list does. */
export const RESERVED_NAMES_VERSION: string = `${
  Object.keys(RESERVED_SOURCES).join("+")
}+own.${RESERVED_ADDITIONS_VERSION}`;

const NOT_NAME_CHAR = /[^a-z0-9]/g;
// Plain numbers (`404`) are refused by the shape already; as protected names they would only
// make look-alikes of ordinary words (`ioo` of `100`).
const ALL_DIGITS = /^[0-9]+$/;

function reservedKey(entry: string): string {
  return entry.toLowerCase().replace(NOT_NAME_CHAR, "");
}

/** Every reserved name, lower-case and without separators. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(
  [...Object.values(RESERVED_SOURCES), ...Object.values(RESERVED_ADDITIONS)]
    .flat().map(reservedKey).filter((key) => key.length > 0 && !ALL_DIGITS.test(key)),
);

/**
 * Whether `name` is reserved: listed as is, or listed once its separators are removed, so that
 * `ad.min` and `a_d_m_i_n` are as reserved as `admin`. Look-alikes (`r00t`, `admin_team`) are
 * judged by `protected_names.ts`.
 */
export function isReservedUsername(name: string): boolean {
  if (RESERVED_NAMES.has(name)) return true;
  return (name.includes(".") || name.includes("_")) &&
    RESERVED_NAMES.has(name.replace(/[._]/g, ""));
}
