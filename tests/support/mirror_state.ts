/** Whether the identity tables mirror the legacy table: the daemon tests' measure of caught up. */
import { storedDisplayName } from "./stored_display_name.ts";
import { type TestDatabase, withClient } from "./test_database.ts";
import { waitFor } from "./wait_for.ts";

/** Legacy rows whose account does not mirror them (missing, wrong display name, not active). */
export function mismatches(db: TestDatabase): Promise<number> {
  return withClient(db.url, async (client) => {
    // Display names are stored cleaned: a row that differs in SQL may still mirror its legacy row.
    const { rows: differing } = await client.query(
      `select a.legacy_id is not null as found, u.display_name as legacy, a.display_name as stored
       from users u
       left join identity.accounts a on a.legacy_id = u.id::text and a.status = 'active'
       where a.legacy_id is null or a.display_name is distinct from u.display_name`,
    );
    const unmirrored = differing.filter((row) =>
      !row.found ||
      row.stored !== storedDisplayName(row.legacy)
    ).length;
    return unmirrored + (await client.query(
      `select count(*)::int as n from identity.accounts a
       where a.status = 'active' and a.legacy_id is not null
         and not exists (select 1 from users u where u.id::text = a.legacy_id)`,
    )).rows[0].n;
  });
}

/** Legacy rows (on `legacy`) whose account (on `identity`) does not mirror them, and leftovers. */
export async function mismatchesAcross(
  legacy: TestDatabase,
  identity: TestDatabase,
): Promise<number> {
  const { rows: users } = await withClient(
    legacy.url,
    (client) => client.query("select id::text as id, display_name from users"),
  );
  const { rows: accounts } = await withClient(
    identity.url,
    (client) =>
      client.query(
        "select legacy_id, display_name from identity.accounts where status = 'active'",
      ),
  );
  const stored = new Map(accounts.map((row) => [row.legacy_id, row.display_name]));
  const legacyIds = new Set(users.map((row) => row.id));
  return users.filter((row) =>
    !stored.has(row.id) || stored.get(row.id) !== storedDisplayName(row.display_name)
  ).length + accounts.filter((row) => !legacyIds.has(row.legacy_id)).length;
}

/** Every legacy account's public ID, by legacy id: none may ever change. */
export async function publicIds(db: TestDatabase): Promise<Map<string, string>> {
  const { rows } = await withClient(
    db.url,
    (client) =>
      client.query(
        "select legacy_id, public_id from identity.accounts where legacy_id is not null",
      ),
  );
  return new Map(rows.map((row) => [row.legacy_id, row.public_id]));
}

/** The stream has caught up when every legacy row is mirrored and nothing is left over. */
export async function waitForMirror(
  db: TestDatabase,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  await waitFor(
    "the identity tables to mirror the legacy table",
    async () => (await mismatches(db)) === 0,
    options,
  );
}
