/**
 * `verify`: checks the data contract's invariants across the legacy and the identity database.
 * The two may be different servers, so each query reads one database, and anything compared
 * across them is compared here, a batch at a time.
 *
 * @module
 */

import type { Config } from "../config.ts";
import pg from "../db/pg.ts";
import { type BreachKind, BreachTally } from "./breaches.ts";
import { tallyDoubledReports } from "./doubled_reports.ts";
import { tallyDuplicates } from "./duplicates.ts";
import { tallyHoldBreaches } from "./hold_breaches.ts";
import { tallyImmutabilityTriggers } from "./immutability_triggers.ts";
import { describeLegacyTable } from "./legacy_table.ts";
import { VerifyError } from "./verify_error.ts";
import { StreamWatch } from "./wait_for_stream.ts";
import { walkAccounts } from "./walk_accounts.ts";
import { walkLegacyRows } from "./walk_legacy_rows.ts";

/** The two databases `verify` reads; they may be the same one. */
export interface VerifyDatabases {
  legacyUrl: string;
  identityUrl: string;
}

/** How far the two walks have come. */
export interface VerifyProgress {
  legacyRows: number;
  /** The planner's estimate of the legacy table's rows; undefined when never analysed. */
  legacyRowsEstimate?: number;
  accounts: number;
  /** The planner's estimate of the accounts; undefined when never analysed. */
  accountsEstimate?: number;
  breaches: number;
}

/** Options of {@linkcode verifyInvariants}. */
export interface VerifyOptions {
  legacyTable: Config["legacyTable"];
  legacyColumns: Pick<Config["legacyColumns"], "id" | "username">;
  /** Rows per keyset batch, on both sides. */
  batchSize?: number;
  /**
   * The stream's replication slot on the legacy database. An account that disagrees with the
   * legacy table counts only once the slot has passed what the legacy read saw; without a slot,
   * or while nobody streams it, the two are compared as they are.
   */
  slotName?: string;
  /** How long to wait for a slot whose position does not move before comparing anyway. */
  streamStallMs?: number;
  /** Called after every batch of either walk. */
  onProgress?: (progress: VerifyProgress) => void;
}

/** What `verify` found. */
export interface VerifyResult {
  /** True when no invariant is breached. */
  ok: boolean;
  legacyRows: number;
  accounts: number;
  breaches: Record<BreachKind, number>;
  /** Up to five ids per kind: legacy ids, public IDs or trigger names, never usernames. */
  examples: Record<BreachKind, string[]>;
  seconds: number;
}

/** The batch size of both walks unless told otherwise. */
export const DEFAULT_BATCH_SIZE = 10_000;

/** How long a stream that stopped moving is waited for, unless told otherwise. */
export const DEFAULT_STREAM_STALL_MS = 30_000;

/**
 * Checks every invariant: each legacy row has exactly one account; each active legacy account
 * still has its legacy row, and no tombstone has one; every username well-formed and unique; every
 * public ID well-formed and unique; every renamed legacy account has a report row, and no decision
 * two; no name held twice, nor held while in use; the immutability triggers are in place.
 *
 * @throws {VerifyError} when the legacy table or the identity schema is not there.
 */
export async function verifyInvariants(
  databases: VerifyDatabases,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const started = performance.now();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const clients: pg.Client[] = [];
  const connect = async (url: string) => {
    const client = new pg.Client({
      connectionString: url,
      application_name: "identity-sync verify",
    });
    // A dropped connection fails the next query; without a listener it would crash the process.
    client.on("error", () => {});
    clients.push(client);
    await client.connect();
    return client;
  };
  try {
    const [legacyA, legacyB, identityA, identityB, identityC] = await Promise.all([
      connect(databases.legacyUrl),
      connect(databases.legacyUrl),
      connect(databases.identityUrl),
      connect(databases.identityUrl),
      connect(databases.identityUrl),
    ]);
    const table = await describeLegacyTable(legacyA, options.legacyTable, options.legacyColumns);
    const accountsEstimate = await describeIdentitySchema(identityA);
    const tally = new BreachTally();
    const stream = new StreamWatch({
      slotName: options.slotName,
      stallMs: options.streamStallMs ?? DEFAULT_STREAM_STALL_MS,
    });
    const progress: VerifyProgress = {
      legacyRows: 0,
      legacyRowsEstimate: table.rowsEstimate,
      accounts: 0,
      accountsEstimate,
      breaches: 0,
    };
    const report = (key: "legacyRows" | "accounts") => (rows: number) => {
      progress[key] += rows;
      progress.breaches = tally.total;
      options.onProgress?.({ ...progress });
    };
    const [legacyRows, accounts] = await Promise.all([
      walkLegacyRows({ legacy: legacyA, identity: identityA }, {
        table,
        tally,
        batchSize,
        stream,
        onRows: report("legacyRows"),
      }),
      walkAccounts({ identity: identityB, legacy: legacyB }, {
        table,
        tally,
        batchSize,
        stream,
        onRows: report("accounts"),
      }),
      (async () => {
        await tallyImmutabilityTriggers(identityC, tally);
        await tallyDuplicates(identityC, tally);
        await tallyDoubledReports(identityC, tally);
        await tallyHoldBreaches(identityC, tally);
      })(),
    ]);
    return {
      ok: tally.total === 0,
      legacyRows,
      accounts,
      breaches: tally.counts(),
      examples: tally.examples(),
      seconds: Math.round(performance.now() - started) / 1000,
    };
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => {})));
  }
}

/**
 * Checks that the identity tables `verify` reads exist; returns the planner's estimate of the
 * accounts.
 */
async function describeIdentitySchema(identity: pg.Client): Promise<number | undefined> {
  const { rows } = await identity.query<{ accounts: boolean; report: boolean; estimate: number }>(
    `select to_regclass('identity.accounts') is not null as accounts,
            to_regclass('identity.migration_report') is not null as report,
            coalesce((select reltuples from pg_class
                      where oid = to_regclass('identity.accounts')), -1)::float8 as estimate`,
  );
  const found = rows[0]!;
  if (!found.accounts || !found.report) {
    throw new VerifyError(
      "identity_schema_missing",
      "Cannot verify: the identity database has no identity.accounts or identity.migration_report; run `deno task migrate` first",
    );
  }
  return found.estimate >= 0 ? Math.round(found.estimate) : undefined;
}
