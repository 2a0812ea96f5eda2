/**
 * `deno task sync`, the daemon: migrates, runs or resumes the snapshot when
 * the run has none finished, then streams the slot from the stored checkpoint
 * until told to stop, reconnecting with exponential back-off and jitter. While
 * another daemon streams the slot it stands by, and takes the slot over once it
 * is free.
 */
import { readSyncState } from "../apply/sync_state.ts";
import type { Config } from "../config.ts";
import { migrate } from "../db/migrate.ts";
import { BRIEF_SESSION_MS, withClient } from "../db/sessions.ts";
import { cryptoRandom, type RandomSource } from "../policy/mod.ts";
import {
  isPermanentServerError,
  LegacyStreamError,
  type LegacyStreamErrorKind,
} from "../legacy/legacy_stream_error.ts";
import { inspectLegacyTable, type LegacyTable } from "../legacy/legacy_table.ts";
import { FAILOVER_SLOTS_SINCE, serverVersion } from "../legacy/slot_failover.ts";
import { COLUMN_LISTS_SINCE, unneededPublishedColumns } from "../legacy/publication.ts";
import { mappedColumnNames } from "../legacy/published_table.ts";
import { checkLegacyTimezone } from "../legacy/legacy_created_at.ts";
import { runSnapshot } from "../snapshot/run_snapshot.ts";
import { errorLine, logger } from "../logging/logging.ts";
import type { SnapshotProgress } from "../snapshot/progress.ts";
import type { DaemonState } from "./readiness.ts";
import { CheckpointMoved } from "./checkpoint.ts";
import { standBy, standbyPollMs } from "./stand_by.ts";
import { type AppliedBatch, runStreamSession } from "./stream_session.ts";
import { isUnreachable } from "./unreachable.ts";
import { sleep } from "./sleep.ts";

/** Options of {@linkcode runSync}. */
export interface RunSyncOptions {
  config: Config;
  legacyUrl: string;
  identityUrl: string;
  /** Aborting it stops the daemon gracefully. */
  signal: AbortSignal;
  random?: RandomSource;
  /** Told of every committed batch. */
  onBatch?: (batch: AppliedBatch) => void;
  /** Told when everything committed on the legacy database up to a heartbeat is applied. */
  onCaughtUp?: (commitTime: Date) => void;
  /** Told whenever the daemon's state changes. */
  onState?: (state: DaemonState) => void;
  /** Handed the snapshot's progress when the daemon runs one. */
  watchSnapshot?: (progress: SnapshotProgress) => void;
}

/** Stream failures that retrying cannot mend: the operator must act. */
const FATAL = new Set<LegacyStreamErrorKind>([
  "slot-missing",
  "slot-lost",
  "slot-unusable",
  "server-behind",
  "publication-missing",
  "publication-changed",
  "column-missing",
  "column-changed",
  "table-replaced",
  "no-key",
  "refused",
]);

/** The longest wait between two reconnection attempts. */
const MAX_BACKOFF_MS = 30_000;
const FIRST_BACKOFF_MS = 250;

const log = logger("sync");

/** Runs the daemon until `options.signal` aborts; throws on a failure retrying cannot mend. */
export async function runSync(options: RunSyncOptions): Promise<void> {
  const setState = (state: DaemonState) => options.onState?.(state);
  try {
    await streamUntilStopped(options, setState);
  } finally {
    setState("stopped");
  }
}

async function streamUntilStopped(
  options: RunSyncOptions,
  tell: (state: DaemonState) => void,
): Promise<void> {
  const { config, signal } = options;
  let lastState = "starting" as DaemonState;
  const setState = (state: DaemonState) => {
    lastState = state;
    tell(state);
  };
  const { slotName } = config.replication;
  // Migrations, the snapshot (resumable) and the table's shape, again after every failure
  // that only says a database could not be reached (restarted, network cut).
  let table: LegacyTable | undefined;
  for (let attempt = 1; table === undefined; attempt++) {
    try {
      table = await prepare(options, setState);
    } catch (error) {
      if (!isUnreachable(error) || signal.aborted) throw error;
      setState("reconnecting");
      const delay = backoffDelay(attempt);
      log.warning("cannot reach a database before streaming ({error}); again in {delay_ms} ms", {
        error: errorLine(error),
        delay_ms: delay,
        attempt,
      });
      await sleep(delay, signal);
      if (signal.aborted) return;
    }
  }
  let failures = 0;
  /**
   * Connections dropped in a row because the server said nothing: each doubles the receive
   * timeout (up to 64 times), so a live server whose walsender is only slow to answer (replaying
   * a huge transaction it filters out, on a PostgreSQL that sends no keep-alive meanwhile) is
   * waited out in the end rather than cut off at the same point forever.
   */
  let silences = 0;
  /** Another daemon streams the slot: wait for it to be free before trying it again. */
  let standingBy = false;
  while (!signal.aborted) {
    try {
      if (standingBy) {
        await standBy({
          legacyUrl: options.legacyUrl,
          slotName,
          pollMs: standbyPollMs(config.sync.standbyTakeoverSeconds),
          signal,
        });
        standingBy = false;
        if (signal.aborted) break;
      }
      log.info("streaming slot {slot}", { slot: slotName });
      await runStreamSession({
        config,
        legacyUrl: options.legacyUrl,
        identityUrl: options.identityUrl,
        table,
        random: options.random ?? cryptoRandom,
        signal,
        receiveTimeoutMs: config.sync.receiveTimeoutSeconds * 1_000 * 2 ** Math.min(silences, 6),
        onBatch: (batch) => {
          failures = 0;
          silences = 0;
          options.onBatch?.(batch);
        },
        onStreaming: () => setState("streaming"),
        onCaughtUp: (commitTime) => {
          silences = 0;
          options.onCaughtUp?.(commitTime);
        },
      });
    } catch (error) {
      if (error instanceof LegacyStreamError && FATAL.has(error.kind)) throw error;
      // The identity database refusing for good (a permission, a table or column gone).
      if (!(error instanceof LegacyStreamError) && isPermanentServerError(error)) {
        const { code, message } = error as { code: string; message: string };
        throw new Error(
          `Cannot apply changes to the identity database: it refused with SQLSTATE ${code} (${message}), which retrying cannot mend; fix it and start again`,
          { cause: error },
        );
      }
      if (signal.aborted) break;
      // Another daemon streams the slot, or took it over from this one: not a failure.
      if (anotherStreams(error)) {
        failures = 0;
        standingBy = true;
        if (lastState !== "standby") {
          log.info("slot {slot} is streamed by another daemon: standing by ({reason})", {
            slot: slotName,
            reason: errorLine(error),
          });
        }
        setState("standby");
        continue;
      }
      standingBy = false;
      setState("reconnecting");
      failures++;
      if (error instanceof LegacyStreamError && error.kind === "server-silent") silences++;
      const delay = backoffDelay(failures);
      log.warning("stream failed ({error}); reconnecting in {delay_ms} ms", {
        error: errorLine(error),
        delay_ms: delay,
        attempt: failures,
      });
      await sleep(delay, signal);
    }
  }
  log.info("sync stopped");
}

/** Migrates, runs or resumes the snapshot when the run has none finished, reads the table. */
async function prepare(
  options: RunSyncOptions,
  setState: (state: DaemonState) => void,
): Promise<LegacyTable> {
  const { config } = options;
  const { slotName } = config.replication;
  await migrate(options.identityUrl);
  const brief = { timeoutMs: BRIEF_SESSION_MS };
  const state = await withClient(options.identityUrl, (c) => readSyncState(c, slotName), brief);
  if (state?.phase !== "snapshotted" && state?.phase !== "streaming") {
    log.info("no finished snapshot for slot {slot}: running it first", { slot: slotName });
    setState("snapshotting");
    await runSnapshot({
      config,
      legacyUrl: options.legacyUrl,
      identityUrl: options.identityUrl,
      progress: true,
      watch: options.watchSnapshot,
    });
  }
  const { publicationName } = config.replication;
  const mapped = mappedColumnNames(config.legacyColumns);
  const { table, version, unneeded } = await withClient(options.legacyUrl, async (c) => {
    const table = await inspectLegacyTable(c, config);
    const version = await serverVersion(c);
    return {
      table,
      version,
      unneeded: version >= COLUMN_LISTS_SINCE
        ? await unneededPublishedColumns(c, publicationName, table, mapped)
        : null,
    };
  }, brief);
  if (unneeded === null) {
    log.info(
      "PostgreSQL {major} has no publication column lists: every column of {table} reaches this service, which keeps only the mapped ones",
      { major: Math.floor(version / 10_000), table: table.name },
    );
  } else if (unneeded.length > 0) {
    log.info(
      "publication {publication} sends columns of {table} this service does not map ({columns}); to keep them on the legacy server: ALTER PUBLICATION {publication} SET TABLE {table} ({mapped})",
      {
        publication: publicationName,
        table: table.name,
        columns: unneeded,
        mapped: mapped.join(", "),
      },
    );
  }
  if (config.replication.slotFailover && version < FAILOVER_SLOTS_SINCE) {
    log.info(
      "the legacy server is PostgreSQL {major}, which keeps no slot over a failover: a failover of the legacy primary will need the lost-slot recovery, a new snapshot (docs/runbook.md, Slot lost); from 17 the slot can follow a standby",
      { major: Math.floor(version / 10_000) },
    );
  }
  const zone = table.createdAtZone;
  if (zone) await withClient(options.identityUrl, (c) => checkLegacyTimezone(c, zone), brief);
  return table;
}

/** Whether `error` says that another daemon streams the slot, or has taken it from this one. */
function anotherStreams(error: unknown): boolean {
  return error instanceof CheckpointMoved ||
    (error instanceof LegacyStreamError && error.kind === "slot-in-use");
}

/** Exponential back-off with jitter: half the ceiling plus up to half again. */
function backoffDelay(failures: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.min(failures, 16));
  return Math.round(ceiling / 2 + Math.random() * ceiling / 2);
}
