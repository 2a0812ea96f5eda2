/**
 * Names that read as numbers: decimals and versions (`1.00`, `0.0.0`), IP addresses
 * (`10.0.0.1`), hexadecimal (`0xffffffff`) and exponents (`1e10`). A handle that a program or a
 * person takes for a number is confusing at best (`JSON.parse`, spreadsheets, `Number()`).
 *
 * @module
 */

const NUMBER_LIKE = /^(?:[0-9]+(?:[._][0-9]+)+|0x[0-9a-f]+|[0-9]+(?:\.[0-9]+)?e[0-9]+)$/;

/**
 * Whether `name` reads as a decimal, a version, an IP address, a hexadecimal value or an exponent
 * (plain digits are `ALL_DIGITS`, a shape reason).
 */
export function isNumberLike(name: string): boolean {
  return NUMBER_LIKE.test(name);
}
