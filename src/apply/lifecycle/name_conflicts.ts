/**
 * Whether names can be taken, against the live identity tables: owned by another account,
 * held after a release, or (for a name someone chooses) a look-alike of an existing username.
 */
import { sql, type Transaction } from "kysely";
import type { Database } from "../../db/database.ts";
import { usernameSkeleton } from "../../policy/mod.ts";

/** Why a name cannot be taken. */
export type NameConflict = "TAKEN" | "HELD" | "LOOKALIKE";

/**
 * For each of `names`, why the account `accountId` (none: a new one) cannot take it, or null
 * when it can. Look-alikes count only with `lookalikes` (names people choose).
 */
export async function nameConflicts(
  trx: Transaction<Database>,
  names: readonly string[],
  options: { accountId?: string; lookalikes: boolean },
): Promise<Map<string, NameConflict | null>> {
  if (names.length === 0) return new Map();
  const account = options.accountId ?? null;
  const { rows } = await sql<{ name: string; taken: boolean; held: boolean; lookalike: boolean }>`
    select n.name,
           exists (select 1 from identity.accounts a
                   where a.username = n.name and a.account_id is distinct from ${account}::bigint)
             as taken,
           exists (select 1 from identity.username_holds h
                   where h.username = n.name and (h.held_until is null or h.held_until > now())
                     and h.account_id is distinct from ${account}::bigint) as held,
           ${options.lookalikes} and exists (
             select 1 from identity.accounts a
             where a.username_skeleton = n.skeleton and a.account_id is distinct from ${account}::bigint
               and a.status = 'active') as lookalike
    from unnest(${names}::text[], ${names.map(usernameSkeleton)}::text[]) as n(name, skeleton)
  `.execute(trx);
  return new Map(
    rows.map((row) => [
      row.name,
      row.taken ? "TAKEN" : row.held ? "HELD" : row.lookalike ? "LOOKALIKE" : null,
    ]),
  );
}

/**
 * Serializes, until the transaction ends, every chooser of names that look like `name`: two
 * sign-ups for look-alike names cannot both pass the check before either writes.
 */
export async function lockLookalikes(trx: Transaction<Database>, name: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('identity_sync.skeleton:' || ${
    usernameSkeleton(name)
  }))`.execute(trx);
}
