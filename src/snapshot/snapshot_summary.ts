/** What a snapshot decided, counted from the staged rows and the accounts they became. */
import type pg from "../db/pg.ts";

/** Counts of a finished snapshot. */
export interface SnapshotCounts {
  /** Legacy rows the snapshot read. */
  rows: number;
  /** Accounts that got their own candidate, per tier. */
  claimed: { exact: number; normalized: number; derived: number };
  /** Accounts that got a fallback name. */
  fallbacks: number;
  /** Report rows per reason code. */
  reasons: Record<string, number>;
}

/**
 * Where the decisions of a run are recorded: `names`, in `identity.snapshot_names` (decided before
 * the load); `accounts`, in the accounts and the report rows a one-pass load wrote.
 */
export type DecisionSource = "names" | "accounts";

/** SQL joining each staged row `s` to its decision: username, source, decision and reasons. */
function decisionJoin(from: DecisionSource): { join: string; columns: string } {
  if (from === "names") {
    return {
      join: `left join identity.snapshot_names n
               on n.legacy_id = s.legacy_id and n.slot_name = s.slot_name`,
      columns: "n.username, n.username_source, n.decision, n.reasons",
    };
  }
  // A report row says what was not the legacy value itself; an account without one got it.
  return {
    join: `left join identity.accounts a on a.legacy_id = s.legacy_id
           left join identity.migration_report r
             on r.legacy_id = s.legacy_id and r.source = 'snapshot' and r.source_lsn = s.source_lsn`,
    columns: `a.username, a.username_source,
              case when a.legacy_id is not null then coalesce(r.decision, 'exact') end as decision,
              coalesce(r.reasons, '{}') as reasons`,
  };
}

/** Counts the decisions of the run of `slotName` while its staged rows still exist. */
export async function countSnapshot(
  client: pg.ClientBase,
  slotName: string,
  from: DecisionSource = "names",
): Promise<SnapshotCounts> {
  const { join, columns } = decisionJoin(from);
  const decisions = `select s.tier, ${columns} from identity.snapshot_rows s ${join}
                     where s.slot_name = $1`;
  const { rows } = await client.query<Record<string, string>>(
    `select count(*) as rows,
            count(*) filter (where d.decision <> 'fallback' and d.tier = 1) as exact,
            count(*) filter (where d.decision <> 'fallback' and d.tier = 2) as normalized,
            count(*) filter (where d.decision <> 'fallback' and d.tier = 3) as derived,
            count(*) filter (where d.decision = 'fallback') as fallbacks
     from (${decisions}) d`,
    [slotName],
  );
  const { rows: reasonRows } = await client.query<{ reason: string; n: string }>(
    `select reason, count(*) as n
     from (${decisions}) d cross join unnest(d.reasons) as reason
     where d.decision <> 'exact'
     group by reason order by count(*) desc, reason`,
    [slotName],
  );
  const row = rows[0]!;
  return {
    rows: Number(row.rows),
    claimed: {
      exact: Number(row.exact),
      normalized: Number(row.normalized),
      derived: Number(row.derived),
    },
    fallbacks: Number(row.fallbacks),
    reasons: Object.fromEntries(reasonRows.map((r) => [r.reason, Number(r.n)])),
  };
}

/**
 * The counts of one run's decisions made in two parts: `first`'s rows (every staged row), the
 * decided names and reasons of both.
 */
export function addCounts(first: SnapshotCounts, second: SnapshotCounts): SnapshotCounts {
  const reasons = { ...first.reasons };
  for (const [reason, n] of Object.entries(second.reasons)) {
    reasons[reason] = (reasons[reason] ?? 0) + n;
  }
  return {
    rows: first.rows,
    claimed: {
      exact: first.claimed.exact + second.claimed.exact,
      normalized: first.claimed.normalized + second.claimed.normalized,
      derived: first.claimed.derived + second.claimed.derived,
    },
    fallbacks: first.fallbacks + second.fallbacks,
    reasons: Object.fromEntries(
      Object.entries(reasons).sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0)),
    ),
  };
}

/**
 * Writes one JSON line per staged account to `path`: legacy id, the escaped
 * raw value, the decision (`exact`, `claimed` or `fallback`), tier, reasons,
 * the username decided and, for a look-alike of a protected name, which one. Streams through a cursor inside a transaction.
 */
export async function writeDecisionReport(
  client: pg.ClientBase,
  slotName: string,
  path: string,
  from: DecisionSource = "names",
): Promise<number> {
  const { join, columns } = decisionJoin(from);
  // Raw legacy values are personal data: only the owner may read the report, also when the
  // file was there before with a wider mode.
  const file = await Deno.open(path, { write: true, create: true, truncate: true, mode: 0o600 });
  await Deno.chmod(path, 0o600);
  const encoder = new TextEncoder();
  let written = 0;
  await client.query("savepoint decision_report");
  try {
    await client.query(
      `declare decisions no scroll cursor for
       select d.legacy_id, d.raw_value, d.username, d.username_source,
              (array['exact', 'normalized', 'derived'])[d.tier] as tier, d.decision,
              case when d.decision = 'exact' then '{}' else d.reasons end as reasons,
              d.resembles
       from (select s.legacy_id, s.legacy_int, s.raw_value, s.tier, s.resembles, ${columns}
             from identity.snapshot_rows s ${join}
             where s.slot_name = $1) d
       order by d.legacy_int nulls last, d.legacy_id`,
      [slotName],
    );
    while (true) {
      const { rows } = await client.query(`fetch 5000 from decisions`);
      if (rows.length === 0) break;
      const lines = rows.map((r) =>
        JSON.stringify({
          legacy_id: r.legacy_id,
          raw: r.raw_value,
          decision: r.decision,
          tier: r.tier,
          reasons: r.reasons,
          username: r.username,
          username_source: r.username_source,
          ...(r.resembles !== null && { resembles: r.resembles }),
        })
      );
      await file.write(encoder.encode(lines.join("\n") + "\n"));
      written += rows.length;
    }
    await client.query("close decisions");
    await client.query("release savepoint decision_report");
  } catch (error) {
    await client.query("rollback to savepoint decision_report");
    throw error;
  } finally {
    file.close();
  }
  return written;
}
