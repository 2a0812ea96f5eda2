/**
 * The one error `verify` throws for what its callers branch on.
 *
 * @module
 */

/** What stopped `verify` from confirming the invariants. */
export type VerifyErrorKind =
  | "invariants_breached"
  | "legacy_table_missing"
  | "identity_schema_missing";

/** `verify` found a breach, or could not look. */
export class VerifyError extends Error {
  /** What went wrong, for callers to branch on. */
  readonly kind: VerifyErrorKind;

  constructor(kind: VerifyErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "VerifyError";
    this.kind = kind;
  }
}
