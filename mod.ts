/**
 * identity sync, in-process: the account operations for other Deno/TypeScript services. Each
 * takes a Kysely transaction on the identity database, so it joins the caller's unit of work.
 *
 * ```ts
 * import { createAccount, createDatabase, cryptoRandom, protectedNames } from "./mod.ts";
 * const db = createDatabase(Deno.env.get("IDENTITY_DATABASE_URL")!);
 * const account = await db.transaction().execute((trx) =>
 *   createAccount(trx, { username: "ada" }, {
 *     random: cryptoRandom,
 *     protectedNames: protectedNames(),
 *     holdDays: 90,
 *   })
 * );
 * ```
 *
 * @module
 */
export {
  type AccountPolicy,
  checkUsername,
  createAccount,
  deleteAccount,
  type PublicAccount,
  renameAccount,
  resolveAccount,
  type UsernameCheck,
} from "./src/apply/lifecycle/account_operations.ts";
export { AccountError, type AccountErrorKind } from "./src/apply/lifecycle/account_error.ts";
export { createDatabase, type Database } from "./src/db/database.ts";
export { migrate } from "./src/db/migrate.ts";
export { cryptoRandom, protectedNames, type RandomSource } from "./src/policy/mod.ts";
