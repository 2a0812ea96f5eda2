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

/** Counts the decisions of the run of `slotName` while its staged rows still exist. */
export async function countSnapshot(
  client: pg.ClientBase,
  slotName: string,
): Promise<SnapshotCounts> {
  const { rows } = await client.query<Record<string, string>>(
    `select count(*) as rows,
            count(*) filter (where n.decision <> 'fallback' and s.tier = 1) as exact,
            count(*) filter (where n.decision <> 'fallback' and s.tier = 2) as normalized,
            count(*) filter (where n.decision <> 'fallback' and s.tier = 3) as derived,
            count(*) filter (where n.decision = 'fallback') as fallbacks
     from identity.snapshot_rows s
     left join identity.snapshot_names n on n.legacy_id = s.legacy_id and n.slot_name = s.slot_name
     where s.slot_name = $1`,
    [slotName],
  );
  const { rows: reasonRows } = await client.query<{ reason: string; n: string }>(
    `select reason, count(*) as n
     from identity.snapshot_names n cross join unnest(n.reasons) as reason
     where n.slot_name = $1 and n.decision <> 'exact'
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
 * Writes one JSON line per staged account to `path`: legacy id, the escaped
 * raw value, the decision (`exact`, `claimed` or `fallback`), tier, reasons,
 * the username decided and, for a look-alike of a protected name, which one. Streams through a cursor inside a transaction.
 */
export async function writeDecisionReport(
  client: pg.ClientBase,
  slotName: string,
  path: string,
): Promise<number> {
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
       select s.legacy_id, s.raw_value, n.username, n.username_source,
              (array['exact', 'normalized', 'derived'])[s.tier] as tier, n.decision,
              case when n.decision = 'exact' then '{}' else n.reasons end as reasons,
              s.resembles
       from identity.snapshot_rows s
       left join identity.snapshot_names n
         on n.legacy_id = s.legacy_id and n.slot_name = s.slot_name
       where s.slot_name = $1
       order by s.legacy_int nulls last, s.legacy_id`,
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
