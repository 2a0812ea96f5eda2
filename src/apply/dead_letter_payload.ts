/**
 * A dead letter's payload: the change exactly as it was received, as JSON. Unchanged TOAST
 * values (`undefined`) are left out, so a retried change still leaves them alone.
 */
import type { LegacyChange } from "./legacy_change.ts";

/** The payload of `change`, as JSON text for a jsonb column. */
export function payloadOf(change: LegacyChange): string {
  // PostgreSQL text never holds NUL, but a jsonb refusing one must not stop the stream.
  return JSON.stringify(change).replaceAll("\\u0000", "\\\\u0000");
}

const OPTIONAL_TEXT = ["username", "createdAt", "displayName", "legacyInt"] as const;

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
  return {
    kind: value.kind,
    legacyId: value.legacyId,
    legacyInt: (value.legacyInt as string | null | undefined) ?? null,
    username: value.username as string | null | undefined,
    createdAt: value.createdAt as string | null | undefined,
    displayName: value.displayName as string | null | undefined,
    lsn: value.lsn,
  };
}
