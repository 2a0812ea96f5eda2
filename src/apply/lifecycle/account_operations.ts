/**
 * The lifecycle of accounts in the new system: create, rename, delete, resolve, check a name.
 * Each takes the caller's Kysely transaction, so another service can run it in-process inside
 * its own unit of work; the HTTP API runs each in a transaction of its own.
 */
import { sql, type Transaction } from "kysely";
import type { Database } from "../../db/database.ts";
import {
  DISPLAY_NAME_MAX_CODE_POINTS,
  fallbackUsername,
  generatePublicId,
  isWellFormedPublicId,
  type ProtectedNames,
  type RandomSource,
  type ReasonCode,
  sanitizeDisplayName,
  usernameSkeleton,
  validateUsername,
} from "../../policy/mod.ts";
import { asciiLowerCase } from "../../policy/repair_username.ts";
import { TOMBSTONE_ATTEMPTS, tombstoneUsername } from "../tombstone_username.ts";
import { AccountError } from "./account_error.ts";
import { lockLookalikes, nameConflicts } from "./name_conflicts.ts";
import { suggestUsernames } from "./suggest_usernames.ts";

/** What every operation needs besides the transaction. */
export interface AccountPolicy {
  random: RandomSource;
  /** Skeletons no new name may share (PROTECTED_NAMES). */
  protectedNames: ProtectedNames;
  /** Days a released name stays on hold. */
  holdDays: number;
}

/** An account as the outside world may see it: never its internal or legacy id, never e-mail. */
export interface PublicAccount {
  public_id: string;
  username: string;
  username_source: string;
  display_name: string | null;
}

/** The answer to "may I have this name?". */
export interface UsernameCheck {
  available: boolean;
  reasons: ReasonCode[];
  suggestions: string[];
}

const GENERATION_ATTEMPTS = 20;
const PUBLIC_ID_ATTEMPTS = 5;

/**
 * Creates a native account (no legacy id) with the requested name (ASCII capitals folded), or a
 * generated one. Its display name is cleaned by the policy; one with NUL, or longer than 256 code
 * points once cleaned, is refused.
 */
export async function createAccount(
  trx: Transaction<Database>,
  input: { username?: string; displayName?: string | null },
  policy: AccountPolicy,
): Promise<PublicAccount> {
  const displayName = input.displayName == null ? null : acceptableDisplayName(input.displayName);
  const username = input.username === undefined
    ? await generateName(trx, policy)
    : await claimableName(trx, input.username, policy);
  for (let attempt = 1;; attempt++) {
    const publicId = generatePublicId(policy.random);
    await sql`savepoint create_account`.execute(trx);
    try {
      const account = await trx.insertInto("identity.accounts").values({
        public_id: publicId,
        username,
        username_skeleton: usernameSkeleton(username),
        username_source: input.username === undefined ? "generated" : "requested",
        display_name: displayName,
      }).returning(["public_id", "username", "username_source", "display_name"])
        .executeTakeFirstOrThrow();
      await sql`release savepoint create_account`.execute(trx);
      await unhold(trx, username);
      return account;
    } catch (error) {
      await sql`rollback to savepoint create_account`.execute(trx);
      if (!isUniqueViolation(error)) throw error;
      // Another writer (the sync, a racing request) took the name between the check and
      // the insert; or, once in 10^8 at a billion accounts, the public ID was drawn before.
      if (/public_id/.test(String(error)) && attempt < PUBLIC_ID_ATTEMPTS) continue;
      throw await unavailable(trx, username, ["TAKEN"], policy);
    }
  }
}

/** Renames the account of `publicId` through the policy; the old name is held, history kept. */
export async function renameAccount(
  trx: Transaction<Database>,
  publicId: string,
  newUsername: string,
  policy: AccountPolicy,
): Promise<PublicAccount> {
  const account = await liveAccount(trx, publicId, { forUpdate: true });
  if (asciiLowerCase(newUsername) === account.username) return publicView(account);
  const username = await claimableName(trx, newUsername, policy, account.account_id);
  await hold(trx, account.username, account.account_id, "renamed", policy.holdDays);
  await unhold(trx, username);
  const renamed = await trx.updateTable("identity.accounts")
    .set({
      username,
      username_skeleton: usernameSkeleton(username),
      username_source: "requested",
      updated_at: sql`now()`,
    })
    .where("account_id", "=", account.account_id)
    .returning(["public_id", "username", "username_source", "display_name"])
    .executeTakeFirstOrThrow();
  await recordHistory(trx, account.account_id, account.username, username);
  return renamed;
}

/**
 * Tombstones the account of `publicId`: status deleted, its public ID kept forever (never
 * reused), its name held. An account that mirrors a legacy user is deleted in the legacy system.
 */
export async function deleteAccount(
  trx: Transaction<Database>,
  publicId: string,
  policy: AccountPolicy,
): Promise<void> {
  const account = await liveAccount(trx, publicId, { forUpdate: true });
  if (account.legacy_id !== null) {
    throw new AccountError(
      "legacy_owned",
      `Cannot delete account ${publicId}: it mirrors a legacy user; delete it in the legacy system and the sync tombstones it`,
    );
  }
  // A random name in a namespace nobody may request: only a broken random source runs out.
  let tombstone: string | undefined;
  for (let attempt = 0; attempt < TOMBSTONE_ATTEMPTS && tombstone === undefined; attempt++) {
    const name = tombstoneUsername(policy.random);
    const conflicts = await nameConflicts(trx, [name], {
      accountId: account.account_id,
      lookalikes: false,
    });
    if (conflicts.get(name) === null) tombstone = name;
  }
  if (tombstone === undefined) {
    throw new Error(
      `Cannot delete account ${publicId}: ${TOMBSTONE_ATTEMPTS} random tombstone names in a row were taken; the random source is broken`,
    );
  }
  await hold(trx, account.username, account.account_id, "deleted", policy.holdDays);
  await trx.updateTable("identity.accounts")
    .set({
      username: tombstone,
      username_skeleton: usernameSkeleton(tombstone),
      username_source: "generated",
      status: "deleted",
      updated_at: sql`now()`,
    })
    .where("account_id", "=", account.account_id)
    .execute();
  await recordHistory(trx, account.account_id, account.username, tombstone);
}

/** The public profile of `publicId`; `not_found` when there is none, `gone` when deleted. */
export async function resolveAccount(
  trx: Transaction<Database>,
  publicId: string,
): Promise<PublicAccount> {
  return publicView(await liveAccount(trx, publicId, { forUpdate: false }));
}

/** Whether a new sign-up could have `name`, why not, and what it could have instead. */
export async function checkUsername(
  trx: Transaction<Database>,
  name: string,
  policy: AccountPolicy,
): Promise<UsernameCheck> {
  try {
    const claimable = await claimableName(trx, name, policy, undefined, { lock: false });
    // Asked with capitals, the answer is about the folded name, offered first.
    return { available: true, reasons: [], suggestions: claimable === name ? [] : [claimable] };
  } catch (error) {
    if (!(error instanceof AccountError)) throw error;
    return { available: false, reasons: error.reasons, suggestions: error.suggestions };
  }
}

/**
 * `name` if the policy allows it and it is free for `accountId` (none: a new account). A name
 * that differs from a valid one only in ASCII case is that name (`Newbie.One` is `newbie.one`),
 * as the migration's exact tier has it; non-ASCII letters are never case-folded.
 */
async function claimableName(
  trx: Transaction<Database>,
  requested: string,
  policy: AccountPolicy,
  accountId?: string,
  options: { lock: boolean } = { lock: true },
): Promise<string> {
  const name = asciiLowerCase(requested);
  const validation = validateUsername(name, policy);
  if (!validation.valid) {
    throw new AccountError("invalid_username", `Cannot use username: ${validation.reasons}`, {
      reasons: validation.reasons,
      suggestions: await suggestUsernames(trx, name, { ...policy, accountId }),
    });
  }
  if (options.lock) await lockLookalikes(trx, name);
  const conflict = (await nameConflicts(trx, [name], { accountId, lookalikes: true })).get(name);
  if (conflict) throw await unavailable(trx, name, [conflict], policy, accountId);
  return name;
}

/** The display name to store for `raw`, cleaned; refused with NUL or when too long. */
function acceptableDisplayName(raw: string): string {
  if (raw.includes("\u0000")) {
    throw new AccountError(
      "invalid_display_name",
      "Cannot use display_name: it contains NUL (U+0000)",
      { reasons: ["CONTROL_CHAR"] },
    );
  }
  const { text, reasons } = sanitizeDisplayName(raw);
  if (reasons.includes("DISPLAY_NAME_TRUNCATED")) {
    throw new AccountError(
      "invalid_display_name",
      `Cannot use display_name: it is longer than ${DISPLAY_NAME_MAX_CODE_POINTS} characters once cleaned`,
      { reasons: ["TOO_LONG"] },
    );
  }
  return text;
}

async function unavailable(
  trx: Transaction<Database>,
  name: string,
  reasons: ReasonCode[],
  policy: AccountPolicy,
  accountId?: string,
): Promise<AccountError> {
  return new AccountError("username_unavailable", `Cannot use username: ${reasons}`, {
    reasons,
    suggestions: await suggestUsernames(trx, name, { ...policy, accountId }),
  });
}

/** A generated name (`user_` and random characters) that nobody has or holds. */
async function generateName(trx: Transaction<Database>, policy: AccountPolicy): Promise<string> {
  for (let attempt = 0; attempt < GENERATION_ATTEMPTS; attempt++) {
    const name = fallbackUsername(null, attempt, policy.random);
    const conflicts = await nameConflicts(trx, [name], { lookalikes: true });
    if (conflicts.get(name) === null) return name;
  }
  throw new Error(`Cannot generate a username: ${GENERATION_ATTEMPTS} draws in a row were taken`);
}

/** The account of `publicId`, locked when it is to change; refused when missing or deleted. */
async function liveAccount(
  trx: Transaction<Database>,
  publicId: string,
  options: { forUpdate: boolean },
) {
  let query = trx.selectFrom("identity.accounts")
    .select([
      "account_id",
      "legacy_id",
      "public_id",
      "username",
      "username_source",
      "display_name",
      "status",
    ])
    .where("public_id", "=", publicId);
  if (options.forUpdate) query = query.forUpdate();
  const account = isWellFormedPublicId(publicId) ? await query.executeTakeFirst() : undefined;
  if (account === undefined) {
    throw new AccountError("not_found", `Cannot find account ${publicId}: no such public ID`);
  }
  if (account.status === "deleted") {
    throw new AccountError("gone", `Cannot use account ${publicId}: it was deleted`);
  }
  return account;
}

async function hold(
  trx: Transaction<Database>,
  username: string,
  accountId: string,
  reason: "renamed" | "deleted",
  holdDays: number,
): Promise<void> {
  await sql`
    insert into identity.username_holds (username, account_id, reason, held_until)
    values (${username}, ${accountId}::bigint, ${reason}, now() + make_interval(days => ${holdDays}))
    on conflict (username) do update
      set account_id = excluded.account_id, reason = excluded.reason,
          held_until = excluded.held_until, created_at = now()
  `.execute(trx);
}

/** A name in use is never also on hold: its own or an expired hold goes. */
async function unhold(trx: Transaction<Database>, username: string): Promise<void> {
  await trx.deleteFrom("identity.username_holds").where("username", "=", username).execute();
}

async function recordHistory(
  trx: Transaction<Database>,
  accountId: string,
  oldUsername: string,
  newUsername: string,
): Promise<void> {
  await trx.insertInto("identity.username_history").values({
    account_id: accountId,
    old_username: oldUsername,
    new_username: newUsername,
    source: "api",
  }).execute();
}

function publicView(account: PublicAccount): PublicAccount {
  return {
    public_id: account.public_id,
    username: account.username,
    username_source: account.username_source,
    display_name: account.display_name,
  };
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "23505";
}
