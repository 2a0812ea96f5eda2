/**
 * The data contract's "legacy value, lower-cased": only A–Z become a–z, so that a non-ASCII
 * legacy name is never folded into someone else's handle (`İ` stays `İ`).
 *
 * @module
 */

/** Lower-cases the ASCII letters of `text` and leaves every other character as it is. */
export function asciiLowerCase(text: string): string {
  return text.replace(/[A-Z]+/g, (run) => run.toLowerCase());
}
