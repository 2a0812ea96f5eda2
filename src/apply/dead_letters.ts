/** `identity.dead_letters`: changes that could not be applied, kept until they are. */
import type pg from "../db/pg.ts";
import { parseLsn } from "../db/lsn.ts";
import { payloadOf } from "./dead_letter_payload.ts";
import type { LegacyChange } from "./legacy_change.ts";

/** A change to record, and why it failed. */
export interface FailedChange {
  change: LegacyChange;
  error: string;
}

/** An unresolved dead letter, as operators see it. */
export interface DeadLetter {
  deadLetterId: string;
  lsn: string | null;
  legacyId: string | null;
  operation: string;
  payload: unknown;
  error: string;
  attempts: number;
  firstFailedAt: Date;
  lastFailedAt: Date;
}

/**
 * Records `failed` in order. A change already recorded (same LSN, legacy id, operation and
 * payload: a replay of a batch that committed) is not recorded twice.
 */
export async function recordDeadLetters(
  client: pg.ClientBase,
  failed: readonly FailedChange[],
): Promise<void> {
  if (failed.length === 0) return;
  await client.query(
    `insert into identity.dead_letters (lsn, legacy_id, operation, payload, error)
     select d.lsn, d.legacy_id, d.operation, d.payload, d.error
     from unnest($1::pg_lsn[], $2::text[], $3::text[], $4::jsonb[], $5::text[])
       with ordinality as d(lsn, legacy_id, operation, payload, error, n)
     where not exists (
       select 1 from identity.dead_letters x
       where x.lsn is not distinct from d.lsn and x.legacy_id is not distinct from d.legacy_id
         and x.operation = d.operation and x.payload = d.payload)
     order by d.n`,
    [
      failed.map(({ change }) => (isLsn(change.lsn) ? change.lsn : null)),
      failed.map(({ change }) => (change.kind === "truncate" ? null : change.legacyId)),
      failed.map(({ change }) => change.kind),
      failed.map(({ change }) => payloadOf(change)),
      failed.map(({ error }) => error),
    ],
  );
}

/** The unresolved dead letters, oldest change first, at most `limit`. */
export async function listDeadLetters(
  client: pg.ClientBase,
  options: { limit?: number } = {},
): Promise<DeadLetter[]> {
  const { rows } = await client.query<DeadLetter>(
    `select dead_letter_id::text as "deadLetterId", lsn::text as lsn, legacy_id as "legacyId",
            operation, payload, error, attempts, first_failed_at as "firstFailedAt",
            last_failed_at as "lastFailedAt"
     from identity.dead_letters
     where resolved_at is null
     order by lsn nulls last, dead_letter_id
     limit $1`,
    [options.limit ?? 1_000],
  );
  return rows;
}

/** Counts the unresolved dead letters. */
export async function countDeadLetters(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    "select count(*)::int as n from identity.dead_letters where resolved_at is null",
  );
  return rows[0]!.n;
}

/** Records a retry of dead letters: the ones in `resolved` are done, the others failed again. */
export async function recordRetry(
  client: pg.ClientBase,
  outcome: { resolved: readonly string[]; failed: readonly { id: string; error: string }[] },
): Promise<void> {
  if (outcome.resolved.length > 0) {
    await client.query(
      `update identity.dead_letters set attempts = attempts + 1, resolved_at = now()
       where dead_letter_id = any($1::bigint[])`,
      [outcome.resolved],
    );
  }
  if (outcome.failed.length > 0) {
    await client.query(
      `update identity.dead_letters d
       set attempts = d.attempts + 1, last_failed_at = now(), error = f.error
       from unnest($1::bigint[], $2::text[]) as f(id, error)
       where d.dead_letter_id = f.id`,
      [outcome.failed.map((f) => f.id), outcome.failed.map((f) => f.error)],
    );
  }
}

/** Why a change failed, for the dead letter's `error`. */
export function describeFailure(change: LegacyChange, error: unknown): string {
  const what = change.kind === "truncate"
    ? `truncate at ${change.lsn}`
    : `${change.kind} of legacy account ${change.legacyId} at ${change.lsn}`;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return `Cannot apply ${what}: ${message}${typeof code === "string" ? ` (SQLSTATE ${code})` : ""}`;
}

function isLsn(lsn: string): boolean {
  try {
    parseLsn(lsn);
    return true;
  } catch {
    return false;
  }
}
