/**
 * A dead letter's payload: the change exactly as it was received, as JSON. Unchanged TOAST
 * values (`undefined`) are left out, so a retried change still leaves them alone.
 */
import type { LegacyChange } from "./legacy_change.ts";

/**
 * The most code points a text field of a payload keeps. The policy never looks further: a
 * username over 256 code points is refused whole, a display name is judged on its first 1,024.
 * So a change retried from a cut payload is decided as the whole one was.
 */
export const PAYLOAD_FIELD_MAX_CODE_POINTS = 1_025;

/** The payload of `change`, as JSON text for a jsonb column: bounded, and never refused. */
export function payloadOf(change: LegacyChange): string {
  return JSON.stringify(
    change,
    (_key, value) => typeof value === "string" ? storable(value) : value,
  );
}

/**
 * `text` cut to `PAYLOAD_FIELD_MAX_CODE_POINTS`, with a NUL written as the six characters `\u0000`:
 * PostgreSQL text never holds NUL, but a jsonb refusing one (22P05) must not stop the stream. Done
 * on the value, not the JSON text, so a legacy value that spells `\u0000` stays as it is.
 */
function storable(text: string): string {
  const cut = text.length <= PAYLOAD_FIELD_MAX_CODE_POINTS
    ? text
    : cutCodePoints(text, PAYLOAD_FIELD_MAX_CODE_POINTS);
  return cut.includes("\0") ? cut.replaceAll("\0", "\\u0000") : cut;
}

function cutCodePoints(text: string, limit: number): string {
  let end = 0;
  for (let count = 0; count < limit && end < text.length; count++) {
    const unit = text.charCodeAt(end);
    end += unit >= 0xd800 && unit <= 0xdbff && end + 1 < text.length ? 2 : 1;
  }
  return text.slice(0, end);
}

const OPTIONAL_TEXT = [
  "username",
  "createdAt",
  "displayName",
  "legacyInt",
  "previousLegacyId",
] as const;

/**
 * The change a payload holds.
 *
 * @throws {TypeError} when `payload` is not one `payloadOf` wrote.
 */
export function changeFromPayload(payload: unknown): LegacyChange {
  if (typeof payload !== "object" || payload === null) {
    throw new TypeError("Cannot read dead letter payload: not a JSON object");
  }
  const value = payload as Record<string, unknown>;
  if (typeof value.lsn !== "string") {
    throw new TypeError("Cannot read dead letter payload: lsn is not a string");
  }
  if (value.kind === "truncate") return { kind: "truncate", lsn: value.lsn };
  if (value.kind !== "upsert" && value.kind !== "delete") {
    throw new TypeError(
      `Cannot read dead letter payload: unknown kind ${JSON.stringify(value.kind)}`,
    );
  }
  if (typeof value.legacyId !== "string") {
    throw new TypeError("Cannot read dead letter payload: legacyId is not a string");
  }
  for (const key of OPTIONAL_TEXT) {
    const field = value[key];
    if (field !== undefined && field !== null && typeof field !== "string") {
      throw new TypeError(`Cannot read dead letter payload: ${key} is not text or null`);
    }
  }
  const change: LegacyChange = {
    kind: value.kind,
    legacyId: value.legacyId,
    legacyInt: (value.legacyInt as string | null | undefined) ?? null,
    username: value.username as string | null | undefined,
    createdAt: value.createdAt as string | null | undefined,
    displayName: value.displayName as string | null | undefined,
    lsn: value.lsn,
  };
  if (typeof value.previousLegacyId === "string") change.previousLegacyId = value.previousLegacyId;
  return change;
}
