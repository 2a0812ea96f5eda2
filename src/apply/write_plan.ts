/**
 * Writes a planned slice in a few set-based statements: accounts re-keyed (so a key freed by one
 * can go to a new account), updated, then created (so a name freed by one account can go to a new
 * one), then holds, then report rows.
 */
import { copyRows } from "../db/copy_rows.ts";
import type pg from "../db/pg.ts";
import type { AccountDraft, Plan, RekeyWrite } from "./plan_changes.ts";

/** Writes `plan` inside the open transaction on `client`. */
export async function writePlan(
  client: pg.ClientBase,
  plan: Plan,
  options: { holdDays: number },
): Promise<void> {
  if (plan.rekeys.length > 0) await rekeyAccounts(client, plan.rekeys);
  if (plan.mirrors.length > 0) await mirrorAccounts(client, plan.mirrors);
  if (plan.updates.length > 0) await updateAccounts(client, plan.updates);
  if (plan.inserts.length > 0) await insertAccounts(client, plan.inserts);
  if (plan.unheld.length > 0) {
    await client.query("delete from identity.username_holds where username = any($1::text[])", [
      plan.unheld,
    ]);
  }
  if (plan.holds.length > 0) {
    await client.query(
      `insert into identity.username_holds (username, account_id, reason, held_until)
       select h.username, h.account_id, h.reason, now() + make_interval(days => $4)
       from unnest($1::text[], $2::bigint[], $3::text[]) as h(username, account_id, reason)
       on conflict (username) do update
         set account_id = excluded.account_id, reason = excluded.reason,
             held_until = excluded.held_until, created_at = now()`,
      [
        plan.holds.map((h) => h.username),
        plan.holds.map((h) => h.accountId),
        plan.holds.map((h) => h.reason),
        options.holdDays,
      ],
    );
  }
  if (plan.reports.length > 0) {
    await client.query(
      `insert into identity.migration_report (legacy_id, raw_value, tier, decision, reasons,
         username, source, source_lsn, resembles)
       select r.legacy_id, r.raw_value, r.tier, r.decision,
              coalesce(string_to_array(nullif(r.reasons, ''), ','), '{}'), r.username, 'stream',
              r.source_lsn, r.resembles
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                   $7::pg_lsn[], $8::text[])
         with ordinality as r(legacy_id, raw_value, tier, decision, reasons, username, source_lsn,
                              resembles, n)
       order by r.n`,
      [
        plan.reports.map((r) => r.legacyId),
        plan.reports.map((r) => r.rawValue),
        plan.reports.map((r) => r.tier),
        plan.reports.map((r) => r.decision),
        plan.reports.map((r) => r.reasons.join(",")),
        plan.reports.map((r) => r.username),
        plan.reports.map((r) => r.sourceLsn),
        plan.reports.map((r) => r.resembles),
      ],
    );
  }
}

/**
 * Moves accounts to their new legacy ids through `identity.rekey_account`, the one path the
 * database lets change a legacy id (it writes the audit row), one at a time in order: a chain of
 * moves (1 → 3, 2 → 1, 3 → 2) never has two accounts on one key.
 */
async function rekeyAccounts(client: pg.ClientBase, rekeys: readonly RekeyWrite[]) {
  await client.query(
    `select identity.rekey_account(r.from_id, r.to_id, 'stream', r.source_lsn)
     from unnest($1::text[], $2::text[], $3::pg_lsn[]) with ordinality as r(from_id, to_id,
                                                                          source_lsn, n)
     order by r.n`,
    [
      rekeys.map((r) => r.fromLegacyId),
      rekeys.map((r) => r.toLegacyId),
      rekeys.map((r) => r.sourceLsn),
    ],
  );
}

/** The common case, kept narrow: fewer values to send, parse and compare. */
async function mirrorAccounts(client: pg.ClientBase, drafts: readonly AccountDraft[]) {
  await client.query(
    `update identity.accounts as a
     set display_name = u.display_name, legacy_created_at = u.legacy_created_at,
         source_lsn = u.source_lsn, updated_at = now()
     from unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::pg_lsn[])
       as u(account_id, display_name, legacy_created_at, source_lsn)
     where a.account_id = u.account_id`,
    [
      drafts.map((d) => d.accountId),
      drafts.map((d) => d.displayName),
      drafts.map((d) => d.legacyCreatedAt),
      drafts.map((d) => d.sourceLsn),
    ],
  );
}

async function updateAccounts(client: pg.ClientBase, drafts: readonly AccountDraft[]) {
  await client.query(
    `update identity.accounts as a
     set username = u.username, username_skeleton = u.skeleton, username_source = u.source,
         display_name = u.display_name, legacy_username = u.legacy_username, status = u.status,
         legacy_created_at = u.legacy_created_at, source_lsn = u.source_lsn, updated_at = now()
     from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                 $7::text[], $8::timestamptz[], $9::pg_lsn[])
       as u(account_id, username, skeleton, source, display_name, legacy_username, status,
            legacy_created_at, source_lsn)
     where a.account_id = u.account_id`,
    [
      drafts.map((d) => d.accountId),
      drafts.map((d) => d.username),
      drafts.map((d) => d.usernameSkeleton),
      drafts.map((d) => d.usernameSource),
      drafts.map((d) => d.displayName),
      drafts.map((d) => d.legacyUsername),
      drafts.map((d) => d.status),
      drafts.map((d) => d.legacyCreatedAt),
      drafts.map((d) => d.sourceLsn),
    ],
  );
}

async function insertAccounts(client: pg.ClientBase, drafts: readonly AccountDraft[]) {
  // COPY writes the account ids drawn from the table's own sequence before planning.
  await copyRows(
    client,
    `identity.accounts (account_id, legacy_id, public_id, username, username_skeleton,
       username_source, display_name, legacy_username, status, legacy_created_at, source_lsn)`,
    drafts.map((d) => [
      d.accountId,
      d.legacyId,
      d.publicId,
      d.username,
      d.usernameSkeleton,
      d.usernameSource,
      d.displayName,
      d.legacyUsername,
      d.status,
      d.legacyCreatedAt,
      d.sourceLsn,
    ]),
  );
}
