/**
 * The peer to beat: PostgreSQL's own logical replication of the legacy table into a copy of it
 * (`CREATE SUBSCRIPTION`, defaults of PostgreSQL 18 otherwise), on the target server.
 *
 * The copy has as many indexes of the same kinds as `identity.accounts` (a primary key, three
 * unique indexes, one plain index, fillfactor 70): the primary key on `id`; unique on `email`,
 * the one other column the legacy data keeps unique; plain indexes on `username` and on
 * `lower(username)` where the accounts have a unique username and its look-alike skeleton (legacy
 * usernames are not unique); and a plain index on `created_at` in place of the accounts' unique
 * public ID, a column no change touches.
 */
import { insertLegacyUsers } from "../src/demo/legacy_users.ts";
import { withClient } from "../src/db/sessions.ts";
import {
  type BenchServers,
  dropReplication,
  IDENTITY_DATABASE,
  NATIVE_DATABASE,
  recreateDatabase,
} from "./bench_servers.ts";
import type pg from "../src/db/pg.ts";
import { LEGACY_COLUMNS } from "./legacy_source.ts";

/** The publication of the whole legacy table, the native subscriber's own. */
export const NATIVE_PUBLICATION = "bench_native";
/** The native subscription, in the native subscriber's database. */
export const NATIVE_SUBSCRIPTION = "bench_native";

const INDEXES = [
  "create unique index on users (email)",
  "create index on users (username)",
  "create index on users (lower(username))",
  "create index on users (created_at)",
];

/** Creates the target copy of `users` with its five indexes; with `rows`, filled as the legacy one. */
export async function createNativeUsers(
  client: pg.ClientBase,
  options: { rows?: number } = {},
): Promise<void> {
  await client.query(`create table users (${LEGACY_COLUMNS}) with (fillfactor = 70)`);
  if (options.rows) {
    // The generator's rows are a function of the id and the seed: the same as the legacy ones.
    await insertLegacyUsers(client, { rows: options.rows });
  }
  for (const index of INDEXES) await client.query(index);
  await client.query("vacuum analyze users");
}

/** Publishes the whole legacy table (every column) for the native subscriber. */
export async function createNativePublication(legacy: pg.ClientBase): Promise<void> {
  await legacy.query(`create publication ${NATIVE_PUBLICATION} for table users`);
}

/**
 * Creates the subscription to `legacyUrl` (its slot with it). `copyData` copies the table first;
 * `enabled: false` leaves it stopped until {@linkcode enableSubscription}.
 */
export async function subscribe(
  client: pg.ClientBase,
  legacyUrl: string,
  options: { copyData: boolean; enabled: boolean },
): Promise<void> {
  await client.query(
    `create subscription ${NATIVE_SUBSCRIPTION} connection '${legacyUrl}'
     publication ${NATIVE_PUBLICATION}
     with (copy_data = ${options.copyData}, enabled = ${options.enabled})`,
  );
}

/** Every table of the subscription is ready (`srsubstate = 'r'`): copied and caught up. */
export async function subscriptionReady(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ ready: boolean }>(
    `select count(*) > 0 and bool_and(r.srsubstate = 'r') as ready
     from pg_subscription s join pg_subscription_rel r on r.srsubid = s.oid
     where s.subname = $1`,
    [NATIVE_SUBSCRIPTION],
  );
  return rows[0]!.ready;
}

/** Starts the subscription's apply worker. */
export async function enableSubscription(client: pg.ClientBase): Promise<void> {
  await client.query(`alter subscription ${NATIVE_SUBSCRIPTION} enable`);
}

/** Stops the subscription's apply worker, and waits until it has exited. */
export async function disableSubscription(client: pg.ClientBase): Promise<void> {
  await client.query(`alter subscription ${NATIVE_SUBSCRIPTION} disable`);
  const running = async () =>
    (await client.query(
      "select 1 from pg_stat_subscription where subname = $1 and pid is not null",
      [NATIVE_SUBSCRIPTION],
    )).rows.length > 0;
  while (await running()) await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * Empty identity and native databases, and no slot or publication left on the legacy server:
 * the subscription, if its database exists, is dropped first, with its slot.
 */
export async function resetTargets(servers: BenchServers): Promise<void> {
  await withClient(servers.target.url, async (client) => {
    const { rows } = await client.query("select 1 from pg_database where datname = $1", [
      NATIVE_DATABASE,
    ]);
    if (rows.length > 0) await withClient(servers.nativeUrl, dropSubscription);
  });
  await recreateDatabase(servers.target.url, NATIVE_DATABASE);
  await recreateDatabase(servers.target.url, IDENTITY_DATABASE);
  await dropReplication(servers.legacy.url);
}

/** Drops the subscription if there is one, and its slot on the legacy server. */
export async function dropSubscription(client: pg.ClientBase): Promise<void> {
  await client.query(`drop subscription if exists ${NATIVE_SUBSCRIPTION}`);
}

/**
 * Fails unless the copy holds exactly the legacy rows: the peer did all the work it was timed
 * for.
 */
export async function verifyNativeCopy(
  legacy: pg.ClientBase,
  native: pg.ClientBase,
): Promise<void> {
  const digest = async (client: pg.ClientBase) =>
    (await client.query<{ digest: string }>(
      `select count(*) || ' ' || coalesce(sum(hashtextextended(u::text, 0)), 0) as digest
       from users u`,
    )).rows[0]!.digest;
  const [expected, actual] = await Promise.all([digest(legacy), digest(native)]);
  if (expected !== actual) {
    throw new Error(
      `Cannot trust the native peer's figures: its copy differs from the legacy table (rows and hash ${actual}, expected ${expected})`,
    );
  }
}
