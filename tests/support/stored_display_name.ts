/** What an account stores for a legacy display name: the policy's cleaning of it, or null. */
import { sanitizeDisplayName } from "../../src/policy/mod.ts";

/** The display name an account mirroring `legacy` holds. */
export function storedDisplayName(legacy: string | null): string | null {
  return legacy === null ? null : sanitizeDisplayName(legacy).text;
}
