/**
 * The snapshot's last step: the decided names become accounts, with their
 * report rows, in one transaction. Into an empty accounts table the rows go
 * without its secondary indexes, which are built afterwards in the same
 * transaction (as pg_restore does): a crash rolls the whole load back,
 * indexes included.
 */
import type pg from "../db/pg.ts";
import { generatePublicId, type RandomSource } from "../policy/mod.ts";

/** A constraint or index that a bulk load drops and builds again. */
export interface Rebuilt {
  drop: string;
  create: string;
}

/**
 * The unique constraints and plain indexes of `table` (in schema identity), read from the catalog
 * (so the migrations stay the one definition), all but the primary key. Check constraints stay:
 * validating them again afterwards costs more than checking each row on the way in.
 */
async function secondaryIndexes(client: pg.ClientBase, table: string): Promise<Rebuilt[]> {
  const { rows } = await client.query<Rebuilt>(
    `select format('alter table %s drop constraint %I', $1::regclass, conname) as drop,
            format('alter table %s add constraint %I %s', $1::regclass, conname,
                   pg_get_constraintdef(oid)) as create
     from pg_constraint
     where conrelid = $1::regclass and contype = 'u'
     union all
     select format('drop index identity.%I', c.relname), pg_get_indexdef(i.indexrelid)
     from pg_index i join pg_class c on c.oid = i.indexrelid
     where i.indrelid = $1::regclass
       and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)`,
    [`identity.${table}`],
  );
  return rows;
}

/**
 * Into an empty `table`, rows go faster without its secondary indexes: drops them (under an
 * exclusive lock, inside the open transaction) and returns them to build again after the load;
 * null when the table has rows.
 */
export async function dropIndexesWhenEmpty(
  client: pg.ClientBase,
  table: string,
): Promise<Rebuilt[] | null> {
  const { rowCount } = await client.query(`select 1 from identity.${table} limit 1`);
  if (rowCount !== 0) return null;
  const rebuilt = await secondaryIndexes(client, table);
  await client.query(`lock table identity.${table} in access exclusive mode`);
  for (const index of rebuilt) await client.query(index.drop);
  return rebuilt;
}

/** What a load did. */
export interface LoadResult {
  loaded: number;
  /** Whether the indexes were dropped and rebuilt around the load. */
  bulk: boolean;
  /** Staged accounts still without one (their name was taken meanwhile): assign again. */
  stragglers: number;
}

/**
 * Creates the accounts of every decided name of `slotName`, inside the open
 * transaction on `client`.
 *
 * @throws {PublicIdCollision} when two staged accounts drew the same public ID
 * (about one chance in 10^8 at a billion accounts, but never assumed away):
 * roll back, {@linkcode redrawCollidingPublicIds}, and load again.
 */
export async function loadAccounts(client: pg.ClientBase, slotName: string): Promise<LoadResult> {
  // One big join and a few index builds: give them memory instead of disk.
  await client.query("set local work_mem = '256MB'");
  await client.query("set local maintenance_work_mem = '512MB'");
  await client.query("lock table identity.accounts in share row exclusive mode");
  const rebuilt = await dropIndexesWhenEmpty(client, "accounts");
  const bulk = rebuilt !== null;
  const reportIndexes = bulk ? await dropIndexesWhenEmpty(client, "migration_report") : null;
  const { rowCount } = await client.query(
    `insert into identity.accounts (legacy_id, public_id, username, username_skeleton,
       username_source, display_name, legacy_username, legacy_created_at, source_lsn)
     select s.legacy_id, s.public_id, n.username, n.skeleton, n.username_source, s.display_name,
            s.raw_value, s.legacy_created_at, s.source_lsn
     from identity.snapshot_names n
     join identity.snapshot_rows s on s.legacy_id = n.legacy_id and s.slot_name = n.slot_name
     where n.slot_name = $1
       ${
      bulk
        ? ""
        : "and not exists (select 1 from identity.accounts a where a.legacy_id = n.legacy_id)"
    }
     ${bulk ? "" : "on conflict do nothing"}`,
    [slotName],
  );
  await client.query(
    `insert into identity.migration_report (legacy_id, raw_value, tier, decision, reasons,
       username, source, source_lsn, resembles)
     select s.legacy_id, s.raw_value, (array['exact', 'normalized', 'derived'])[s.tier],
            n.decision, n.reasons, n.username, 'snapshot', s.source_lsn, s.resembles
     from identity.snapshot_names n
     join identity.snapshot_rows s on s.legacy_id = n.legacy_id and s.slot_name = n.slot_name
     ${
      bulk
        ? ""
        : "join identity.accounts a on a.legacy_id = n.legacy_id and a.username = n.username"
    }
     where n.slot_name = $1 and n.decision <> 'exact'
       ${
      // Loaded again after stragglers: the accounts of the first load have their rows already.
      bulk ? "" : `and not exists (select 1 from identity.migration_report r
                                   where r.legacy_id = n.legacy_id and r.source = 'snapshot'
                                     and r.source_lsn = s.source_lsn)`}`,
    [slotName],
  );
  await buildIndexes(client, slotName, reportIndexes, rebuilt);
  const stragglers = bulk ? 0 : await forgetUnloaded(client, slotName);
  return { loaded: rowCount ?? 0, bulk, stragglers };
}

/**
 * Builds again the indexes a bulk load of the run of `slotName` dropped: the report's, then the
 * accounts'.
 *
 * @throws {PublicIdCollision} when two loaded accounts have the same public ID.
 */
export async function buildIndexes(
  client: pg.ClientBase,
  slotName: string,
  reportIndexes: readonly Rebuilt[] | null,
  accountIndexes: readonly Rebuilt[] | null,
): Promise<void> {
  for (const index of reportIndexes ?? []) await client.query(index.create);
  for (const index of accountIndexes ?? []) {
    await client.query(index.create).catch((error) => {
      if ((error as { code?: string }).code === "23505" && /public_id/.test(String(error))) {
        throw new PublicIdCollision(slotName, { cause: error });
      }
      throw error;
    });
  }
}

/** Two staged accounts drew the same public ID. */
export class PublicIdCollision extends Error {
  override name = "PublicIdCollision";
  constructor(slotName: string, options?: ErrorOptions) {
    super(`Cannot load the accounts of run "${slotName}": two drew the same public ID`, options);
  }
}

/**
 * Draws new public IDs for staged accounts whose ID another staged or existing
 * account has, until none does.
 */
export async function redrawCollidingPublicIds(
  client: pg.ClientBase,
  slotName: string,
  random: RandomSource,
): Promise<void> {
  while (true) {
    const { rows } = await client.query<{ legacy_id: string }>(
      `select s.legacy_id from identity.snapshot_rows s
       where s.slot_name = $1 and (
         s.public_id in (select public_id from identity.snapshot_rows where slot_name = $1
                         group by public_id having count(*) > 1)
         or exists (select 1 from identity.accounts a where a.public_id = s.public_id))`,
      [slotName],
    );
    if (rows.length === 0) return;
    await client.query(
      `update identity.snapshot_rows s set public_id = d.public_id
       from unnest($2::text[], $3::text[]) as d(legacy_id, public_id)
       where s.slot_name = $1 and s.legacy_id = d.legacy_id`,
      [slotName, rows.map((r) => r.legacy_id), rows.map(() => generatePublicId(random))],
    );
  }
}

/**
 * Drops the decisions of staged accounts that did not get theirs (a concurrent
 * writer took the name, or the public ID); returns how many.
 */
async function forgetUnloaded(client: pg.ClientBase, slotName: string): Promise<number> {
  const { rowCount } = await client.query(
    `delete from identity.snapshot_names n
     where n.slot_name = $1
       and not exists (select 1 from identity.accounts a where a.legacy_id = n.legacy_id)`,
    [slotName],
  );
  return rowCount ?? 0;
}
