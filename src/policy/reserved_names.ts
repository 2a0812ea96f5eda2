/**
 * Reserved usernames, from the versioned `reserved_names.json`: system and route words, sentinels
 * (`null`, `undefined`, `[deleted]` as `deleted`…), RFC 2142 mailbox names and Windows device
 * names. The file stores them lower-case without separators; bump its `version` on every change.
 *
 * @module
 */

import data from "./reserved_names.json" with { type: "json" };

/** The version of the reserved-name list; it changes whenever the list does. */
export const RESERVED_NAMES_VERSION: number = data.version;

/** Every reserved name, lower-case and without separators. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(data.names);

/**
 * Whether `name` is reserved: listed as is, or listed once its separators are removed, so that
 * `ad.min` and `a_d_m_i_n` are as reserved as `admin`. Digit and homoglyph look-alikes (`r00t`) are
 * not reserved here: pass `protectedSkeletons(RESERVED_NAMES)` to `validateUsername` to block them.
 */
export function isReservedUsername(name: string): boolean {
  if (RESERVED_NAMES.has(name)) return true;
  return (name.includes(".") || name.includes("_")) &&
    RESERVED_NAMES.has(name.replace(/[._]/g, ""));
}
