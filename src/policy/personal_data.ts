/**
 * Values that look like personal data. An e-mail address or a phone number is never turned into a
 * public handle, nor into the base of a fallback.
 *
 * @module
 */

// Something@domain.tld anywhere in the value, with any letters (the local part may be non-ASCII).
const EMAIL = /[^\s@]@[^\s@.]+(?:\.[^\s@.]+)*\.[^\s@.]{2,}/u;
const NUMBER_LIKE = /^\+?[0-9\s().\-/_]+$/;
const DIGIT = /[0-9]/g;

/** Whether `text` contains something shaped like an e-mail address. */
export function isEmailShaped(text: string): boolean {
  return text.includes("@") && EMAIL.test(text);
}

/**
 * Whether `text` is a phone number or another long number: an optional `+`, then only digits and
 * separators (space, `( ) . - / _`), with at least 7 digits.
 */
export function isPhoneShaped(text: string): boolean {
  return NUMBER_LIKE.test(text) && (text.match(DIGIT)?.length ?? 0) >= 7;
}
