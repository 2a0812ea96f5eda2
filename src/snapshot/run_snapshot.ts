/**
 * `deno task snapshot`: gives every legacy account a username and a public ID.
 * Stage one reads ranges in parallel and stages the policy's decisions; stage
 * two decides every name and loads the accounts in one transaction: in one pass
 * into empty accounts, name by name over existing ones. Every range read is
 * stored, so a killed run continues where it stopped.
 */
import { assignFallbacks } from "../apply/assign_fallbacks.ts";
import { claimContestedNames, namesDecided } from "../apply/claim_contested_names.ts";
import {
  loadAccounts,
  type LoadResult,
  PublicIdCollision,
  redrawCollidingPublicIds,
} from "../apply/load_accounts.ts";
import { loadInOnePass } from "./load_in_one_pass.ts";
import { clearStaged } from "../apply/stage_decisions.ts";
import { createSyncState, readSyncState, setPhase, type SyncState } from "../apply/sync_state.ts";
import type { Config } from "../config.ts";
import { migrate } from "../db/migrate.ts";
import pg from "../db/pg.ts";
import { inTransaction } from "../db/sessions.ts";
import { cryptoRandom, protectedNames, type RandomSource } from "../policy/mod.ts";
import { logger } from "../logging/logging.ts";
import { claimRange, insertRanges, rangeProgress } from "./claim_range.ts";
import { inspectLegacyTable, type LegacyTable } from "../legacy/legacy_table.ts";
import { checkLegacyTimezone } from "../legacy/legacy_created_at.ts";
import { planRanges } from "./plan_ranges.ts";
import { reportProgress, SnapshotProgress } from "./progress.ts";
import { openReadSnapshot, stageRange } from "./read_ranges.ts";
import { SnapshotWorkers } from "./snapshot_workers.ts";
import { drawingHere, type FallbackDrawer } from "./draw_fallbacks.ts";
import { mayTombstone, reconcileAccounts } from "./reconcile_accounts.ts";
import { rekeyMovedRows } from "./rekey_moved_rows.ts";
import { setupRun } from "./setup_run.ts";
import { mappedColumnNames } from "../legacy/published_table.ts";
import { lsnBefore } from "../db/lsn.ts";
import {
  addCounts,
  countSnapshot,
  type DecisionSource,
  type SnapshotCounts,
  writeDecisionReport,
} from "./snapshot_summary.ts";

/** Options of {@linkcode runSnapshot}. */
export interface RunSnapshotOptions {
  config: Config;
  legacyUrl: string;
  identityUrl: string;
  /** Source of randomness for public IDs and fallbacks (the CSPRNG by default). */
  random?: RandomSource;
  /** Show progress (a bar on a terminal, log lines otherwise). */
  progress?: boolean;
  /** Handed the run's progress as soon as it exists, e.g. for metrics. */
  watch?: (progress: SnapshotProgress) => void;
}

/** What a snapshot run did. */
export interface SnapshotOutcome {
  /** `completed`: this process finished the run; `already-complete`: nothing was left to do. */
  status: "completed" | "already-complete";
  dryRun: boolean;
  counts: SnapshotCounts | null;
  seconds: number;
  /** Rows this process read. */
  rowsRead: number;
  workers: number;
}

/** Runs (or resumes, or joins) the snapshot, or predicts it with `config.snapshot.dryRun`. */
export async function runSnapshot(options: RunSnapshotOptions): Promise<SnapshotOutcome> {
  await migrate(options.identityUrl);
  return options.config.snapshot.dryRun ? await dryRun(options) : await realRun(options);
}

const log = logger("snapshot");

/**
 * The name of the advisory lock (`pg_advisory_lock(hashtext(name))` on the identity database)
 * that every process of the run of `slotName` holds while it sets the run up or decides names.
 */
export function runLockName(slotName: string): string {
  return `identity_sync.snapshot.${slotName}`;
}

async function realRun(options: RunSnapshotOptions): Promise<SnapshotOutcome> {
  const { config } = options;
  const { slotName } = config.replication;
  const progress = new SnapshotProgress();
  options.watch?.(progress);
  const legacy = await connect(options.legacyUrl);
  const identity = await connect(options.identityUrl);
  const lock = runLockName(slotName);
  let stopProgress = () => {};
  let workers: SnapshotWorkers | undefined;
  try {
    const table = await inspectLegacyTable(legacy, config);
    if (table.createdAtZone) await checkLegacyTimezone(identity, table.createdAtZone);
    await identity.query("select pg_advisory_lock(hashtext($1))", [lock]);
    let run;
    try {
      run = await setupRun(identity, legacy, table, {
        legacyUrl: options.legacyUrl,
        slotName,
        publicationName: config.replication.publicationName,
        rangeSize: config.snapshot.rangeSize,
        slotFailover: config.replication.slotFailover,
        mappedColumns: mappedColumnNames(config.legacyColumns),
      });
    } finally {
      await identity.query("select pg_advisory_unlock(hashtext($1))", [lock]);
    }
    if (run.state.phase === "snapshotted" || run.state.phase === "streaming") {
      await run.exported?.close();
      return outcome("already-complete", null, progress, config, false);
    }
    progress.total = run.state.rowsEstimate ?? 0;
    progress.done = (await rangeProgress(identity, slotName)).rowsRead;
    if (options.progress) stopProgress = reportProgress(progress);
    log.info("snapshot {phase} of {table} on slot {slot}", {
      phase: run.state.phase,
      table: table.name,
      slot: slotName,
      consistent_point: run.state.consistentPoint,
      workers: config.snapshot.workers,
      joined: run.exported === undefined,
    });
    workers = new SnapshotWorkers(config.snapshot.workers);
    // Fallbacks from the random source the caller chose, else from the CSPRNG on every thread.
    const drawer = options.random ? drawingHere(options.random) : workers;
    while (true) {
      if ((await readSyncState(identity, slotName))!.phase === "snapshotting") {
        const snapshot = await openReadSnapshot(options.legacyUrl, slotName, run.exported);
        run.exported = undefined;
        const started = performance.now();
        try {
          await workers.read({
            legacyUrl: options.legacyUrl,
            identityUrl: options.identityUrl,
            table,
            slotName,
            workerName: `${Deno.hostname()}:${Deno.pid}`,
            snapshot: { snapshotName: snapshot.snapshotName, lsn: snapshot.lsn },
            protectedNames: config.protectedNames,
          }, (rows) => progress.addRows(rows));
          log.info("ranges read: {rows} rows staged by this process", {
            rows: progress.readHere,
            seconds: elapsed(started),
          });
        } finally {
          await snapshot.close();
        }
      }
      await identity.query("select pg_advisory_lock(hashtext($1))", [lock]);
      try {
        const resolved = await resolveNames(identity, options, progress, drawer);
        // The staged rows were lost: read again, under a fresh snapshot.
        if (resolved === "restage") continue;
        return outcome(
          resolved === null ? "already-complete" : "completed",
          resolved,
          progress,
          config,
          false,
        );
      } finally {
        await identity.query("select pg_advisory_unlock(hashtext($1))", [lock]);
      }
    }
  } finally {
    stopProgress();
    workers?.close();
    await Promise.all([legacy.end(), identity.end()]);
  }
}

/**
 * Stage two, under the run's lock: claims contested names, assigns fallbacks,
 * counts, loads the accounts and marks the run snapshotted. Returns the counts;
 * null when another process finished the run; "restage" when the staged rows
 * were lost (a server crash empties the unlogged staging table) and the ranges
 * must be read again.
 */
async function resolveNames(
  identity: pg.Client,
  options: RunSnapshotOptions,
  progress: SnapshotProgress,
  drawer: FallbackDrawer,
): Promise<SnapshotCounts | null | "restage"> {
  const { slotName } = options.config.replication;
  const random = options.random ?? cryptoRandom;
  const state = (await readSyncState(identity, slotName))!;
  if (state.phase === "snapshotted" || state.phase === "streaming") return null;
  if (!(await stagedRowsComplete(identity, slotName))) {
    log.warning("staged rows of {slot} were lost; reading every range again", { slot: slotName });
    await inTransaction(identity, async () => {
      await identity.query(
        `update identity.snapshot_ranges set status = 'pending', rows_read = 0, finished_at = null
         where slot_name = $1`,
        [slotName],
      );
      await identity.query("delete from identity.snapshot_rows where slot_name = $1", [slotName]);
      await identity.query("delete from identity.snapshot_names where slot_name = $1", [slotName]);
      await identity.query("delete from identity.snapshot_fallbacks where slot_name = $1", [
        slotName,
      ]);
      await setPhase(identity, slotName, "snapshotting");
    });
    progress.done = 0;
    return "restage";
  }
  if (state.phase === "snapshotting") {
    progress.phase = "claiming";
    await inTransaction(identity, async () => {
      const rekeyed = await rekeyMovedRows(identity, {
        slotName,
        lsn: lsnBefore(state.consistentPoint!),
        deletes: await mayTombstone(identity, slotName, state.legacyTable),
      });
      if (rekeyed > 0) log.info("{rekeyed} accounts re-keyed to their rows' new keys", { rekeyed });
      await setPhase(identity, slotName, "assigning");
    });
  }
  while (true) {
    progress.phase = "assigning";
    const started = performance.now();
    try {
      const done = await inTransaction(identity, async () => {
        const loaded = await decideAndLoad(identity, options, progress, drawer);
        if (loaded.result.stragglers > 0) return loaded;
        if (options.config.snapshot.reportFile) {
          await writeDecisionReport(
            identity,
            slotName,
            options.config.snapshot.reportFile,
            loaded.decisions,
          );
        }
        if (!loaded.result.bulk) await reconcile(identity, options, state);
        await setPhase(identity, slotName, "snapshotted");
        await clearStaged(identity, slotName);
        return loaded;
      });
      log.info("{loaded} accounts loaded", {
        ...done.result,
        onePass: done.decisions === "accounts",
        seconds: elapsed(started),
      });
      if (done.result.stragglers === 0) return done.counts;
      // Names or public IDs taken by a concurrent writer: decide those again.
      await redrawCollidingPublicIds(identity, slotName, random);
    } catch (error) {
      if (!(error instanceof PublicIdCollision)) throw error;
      await redrawCollidingPublicIds(identity, slotName, random);
    }
  }
}

/** A load of the run's names, and where its decisions are recorded. */
interface DecidedLoad {
  result: LoadResult;
  counts: SnapshotCounts;
  decisions: DecisionSource;
}

/**
 * Decides the run's names and loads its accounts, inside the open transaction on `identity`: in
 * one pass into an empty accounts table; otherwise (accounts already there, a recovery's case,
 * or names decided before) name by name: the contested names claimed unless they were, the
 * fallbacks assigned, the accounts loaded.
 */
async function decideAndLoad(
  identity: pg.Client,
  options: RunSnapshotOptions,
  progress: SnapshotProgress,
  drawer: FallbackDrawer,
): Promise<DecidedLoad> {
  const { slotName } = options.config.replication;
  const random = options.random ?? cryptoRandom;
  let started = performance.now();
  const reader = await connect(options.identityUrl);
  const writer = await connect(options.identityUrl).catch(async (error) => {
    await reader.end();
    throw error;
  });
  let onePass;
  try {
    onePass = await loadInOnePass(identity, slotName, {
      drawer,
      reader,
      writer,
      onProgress: (drawn) => progress.assigned = drawn,
    });
  } finally {
    await Promise.all([reader.end(), writer.end()]);
  }
  if (onePass) {
    log.info("{loaded} accounts loaded in one pass", {
      loaded: onePass.loaded,
      leftovers: onePass.leftovers,
      seconds: elapsed(started),
    });
  } else {
    if (!(await namesDecided(identity, slotName))) {
      const { claimed } = await claimContestedNames(identity, slotName);
      log.info("contested names resolved: {claimed} accounts won their names", {
        claimed,
        seconds: elapsed(started),
      });
    }
  }
  started = performance.now();
  const { assigned } = await assignFallbacks(identity, identity, slotName, {
    random,
    transaction: "caller",
    onProgress: (assigned) => progress.assigned = assigned,
  });
  log.info("{assigned} fallback names assigned", { assigned, seconds: elapsed(started) });
  progress.phase = "loading";
  if (!onePass) {
    // Counted from the decided names, before their accounts are loaded.
    const counts = await countSnapshot(identity, slotName);
    return { result: await loadAccounts(identity, slotName), counts, decisions: "names" };
  }
  if (assigned === 0) {
    const { loaded, bulk, stragglers } = onePass;
    return { result: { loaded, bulk, stragglers }, counts: onePass.counts, decisions: "accounts" };
  }
  // The few whose drawn fallback collided: the names decided after the one pass, loaded now.
  const rest = await countSnapshot(identity, slotName);
  const loaded = await loadAccounts(identity, slotName);
  return {
    result: { ...loaded, loaded: onePass.loaded + loaded.loaded, bulk: true },
    counts: addCounts(onePass.counts, rest),
    decisions: "accounts",
  };
}

/**
 * After a load over existing accounts: applies to them what changed on the legacy side since
 * they were last streamed (see {@linkcode reconcileAccounts}), in the load's transaction.
 */
async function reconcile(
  identity: pg.Client,
  options: RunSnapshotOptions,
  state: SyncState,
): Promise<void> {
  const { config } = options;
  const started = performance.now();
  const deletes = await mayTombstone(identity, state.slotName, state.legacyTable);
  if (!deletes) {
    log.warning(
      "another run in identity.sync_state read a table other than {table}: legacy accounts without a row in it are left as they are",
      { table: state.legacyTable },
    );
  }
  const stats = await reconcileAccounts(identity, {
    slotName: state.slotName,
    lsn: lsnBefore(state.consistentPoint!),
    deletes,
  }, {
    random: options.random ?? cryptoRandom,
    protectedNames: protectedNames(config.protectedNames),
    holdDays: config.sync.holdDays,
  });
  log.info("existing accounts reconciled with the legacy table", {
    ...stats,
    seconds: elapsed(started),
  });
}

/** Whether every row read from a finished range is still staged. */
async function stagedRowsComplete(identity: pg.Client, slotName: string): Promise<boolean> {
  const { rows } = await identity.query<{ staged: string }>(
    "select count(*) as staged from identity.snapshot_rows where slot_name = $1",
    [slotName],
  );
  const { rowsRead } = await rangeProgress(identity, slotName);
  return Number(rows[0]!.staged) === rowsRead;
}

/**
 * The same computation as a real run, against the real set of taken names,
 * inside one identity transaction that is rolled back: nothing is written.
 * One worker; no slot or publication is created.
 */
async function dryRun(options: RunSnapshotOptions): Promise<SnapshotOutcome> {
  const { config } = options;
  const { slotName } = config.replication;
  const progress = new SnapshotProgress();
  options.watch?.(progress);
  const legacy = await connect(options.legacyUrl);
  const identity = await connect(options.identityUrl);
  let stopProgress = () => {};
  try {
    const table = await inspectLegacyTable(legacy, config);
    if (table.createdAtZone) await checkLegacyTimezone(identity, table.createdAtZone);
    const existing = await readSyncState(identity, slotName);
    if (existing?.phase === "snapshotted" || existing?.phase === "streaming") {
      return outcome("already-complete", null, progress, config, true);
    }
    if (existing) {
      throw new Error(
        `Cannot dry-run: the snapshot of slot "${slotName}" is in progress (phase ${existing.phase}); a dry run predicts a run before it starts`,
      );
    }
    await legacy.query("begin isolation level repeatable read read only");
    const lsn = (await legacy.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn"))
      .rows[0]!.lsn;
    await identity.query("begin");
    try {
      const counts = await dryRunStages(legacy, identity, table, options, progress, lsn, () => {
        if (options.progress) stopProgress = reportProgress(progress);
      });
      return outcome("completed", counts, progress, config, true);
    } finally {
      await identity.query("rollback");
      await legacy.query("rollback");
    }
  } finally {
    stopProgress();
    await Promise.all([legacy.end(), identity.end()]);
  }
}

async function dryRunStages(
  legacy: pg.Client,
  identity: pg.Client,
  table: LegacyTable,
  options: RunSnapshotOptions,
  progress: SnapshotProgress,
  lsn: string,
  onPlanned: () => void,
): Promise<SnapshotCounts> {
  const { config } = options;
  const { slotName } = config.replication;
  const random = options.random ?? cryptoRandom;
  await createSyncState(identity, {
    slotName,
    publicationName: config.replication.publicationName,
    legacyTable: table.name,
    keyType: table.keyType,
  });
  const { ranges, rowsEstimate } = await planRanges(legacy, table, {
    rangeSize: config.snapshot.rangeSize,
  });
  await insertRanges(identity, slotName, ranges);
  progress.total = rowsEstimate;
  onPlanned();
  const context = {
    table,
    random,
    protectedNames: protectedNames(config.protectedNames),
    onRows: (rows: number) => progress.addRows(rows),
  };
  while (true) {
    const range = await claimRange(identity, slotName, "dry-run");
    if (!range) break;
    await stageRange(legacy, identity, context, range, { lsn });
  }
  progress.phase = "claiming";
  await claimContestedNames(identity, slotName);
  progress.phase = "assigning";
  await assignFallbacks(identity, identity, slotName, {
    random,
    transaction: "caller",
    onProgress: (assigned) => progress.assigned = assigned,
  });
  const counts = await countSnapshot(identity, slotName);
  if (config.snapshot.reportFile) {
    await writeDecisionReport(identity, slotName, config.snapshot.reportFile);
  }
  return counts;
}

function outcome(
  status: SnapshotOutcome["status"],
  counts: SnapshotCounts | null,
  progress: SnapshotProgress,
  config: Config,
  dryRun: boolean,
): SnapshotOutcome {
  return {
    status,
    dryRun,
    counts,
    seconds: progress.seconds(),
    rowsRead: progress.readHere,
    workers: dryRun ? 1 : config.snapshot.workers,
  };
}

function elapsed(started: number): number {
  return Number(((performance.now() - started) / 1_000).toFixed(3));
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  // A session the server ends fails the query in flight; the event alone must not crash.
  client.on("error", () => {});
  await client.connect();
  return client;
}
