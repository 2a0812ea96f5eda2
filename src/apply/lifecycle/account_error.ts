/** Why an account operation refused: a kind callers branch on, reasons and suggestions. */
import type { ReasonCode } from "../../policy/mod.ts";

/** What went wrong, in words the API maps to status codes. */
export type AccountErrorKind =
  | "invalid_username"
  | "invalid_display_name"
  | "username_unavailable"
  | "not_found"
  | "gone"
  | "legacy_owned";

/** An account operation that cannot be done as asked. */
export class AccountError extends Error {
  override name = "AccountError";
  readonly kind: AccountErrorKind;
  readonly reasons: ReasonCode[];
  /** Valid, available names to offer instead (for a username that cannot be had). */
  readonly suggestions: string[];

  constructor(
    kind: AccountErrorKind,
    message: string,
    details: { reasons?: ReasonCode[]; suggestions?: string[] } = {},
  ) {
    super(message);
    this.kind = kind;
    this.reasons = details.reasons ?? [];
    this.suggestions = details.suggestions ?? [];
  }
}
