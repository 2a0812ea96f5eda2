/**
 * Polls what metrics and readiness need from the databases on a cadence of its own, so that a
 * burst of scrapes never becomes a burst of queries: the slot every few seconds, the account
 * counts (a scan of the accounts table) far less often, and the longer a scan takes, the rarer.
 */
import { withClient } from "../db/sessions.ts";
import { errorLine, logger } from "../logging/logging.ts";
import { countAccountsBySource } from "./account_counts.ts";
import { readSlotStatus, type SlotStatus } from "./slot_status.ts";

/** Options of {@linkcode startStatusPoller}. */
export interface StatusPollerOptions {
  legacyUrl: string;
  identityUrl: string;
  slotName: string;
  /** Judge whether a failover would keep the slot (SLOT_FAILOVER). */
  slotFailover: boolean;
  onSlot: (slot: SlotStatus | null) => void;
  onAccounts: (counts: Map<string, number>) => void;
  /** Milliseconds between slot polls. */
  slotEveryMs?: number;
  /** Milliseconds between account counts, at least (see {@linkcode nextCountDelay}). */
  accountsEveryMs?: number;
}

/**
 * The next count waits at least this many times as long as the last one took: a scan of the
 * accounts keeps one server process busy at most about 1 % of the time, however large the table
 * (minutes at 300M accounts, so hours between counts).
 */
export const COUNT_SPACING = 100;

/** Milliseconds until the next account count, after one that took `tookMs`. */
export function nextCountDelay(everyMs: number, tookMs: number): number {
  return Math.max(everyMs, COUNT_SPACING * tookMs);
}

const log = logger("status");

/** A running poller. */
export interface StatusPoller {
  /** Counts the accounts now (e.g. once a snapshot has loaded them), not at the next turn. */
  countAccounts(): void;
  /** Stops polling and waits for a poll in progress. */
  stop(): Promise<void>;
}

/** Starts polling at once, then on each cadence. */
export function startStatusPoller(options: StatusPollerOptions): StatusPoller {
  const pollSlot = () =>
    withClient(
      options.legacyUrl,
      (client) => readSlotStatus(client, options.slotName, { failover: options.slotFailover }),
    )
      .then(options.onSlot);
  let countTookMs = 0;
  const pollAccounts = async () => {
    const started = performance.now();
    try {
      options.onAccounts(await withClient(options.identityUrl, countAccountsBySource));
    } finally {
      countTookMs = performance.now() - started;
    }
  };
  const running = new Set<Promise<void>>();
  const runner = (poll: () => Promise<void>, what: string) => (): Promise<void> | undefined => {
    if (running.size > 4) return undefined;
    const polling = poll()
      .catch((error) => log.debug("cannot poll {what}: {error}", { what, error: errorLine(error) }))
      .finally(() => running.delete(polling));
    running.add(polling);
    return polling;
  };
  const slot = runner(pollSlot, "the replication slot");
  const accounts = runner(pollAccounts, "the account counts");
  slot();
  const slotTimer = setInterval(slot, options.slotEveryMs ?? 5_000);
  // Each count is scheduled when the last ends, as far off as it took (`nextCountDelay`).
  let stopped = false;
  let countTimer: ReturnType<typeof setTimeout> | undefined;
  const countInTurn = async () => {
    await accounts();
    if (stopped) return;
    countTimer = setTimeout(
      countInTurn,
      nextCountDelay(options.accountsEveryMs ?? 300_000, countTookMs),
    );
  };
  countInTurn();
  return {
    countAccounts: () => void accounts(),
    stop: async () => {
      stopped = true;
      clearInterval(slotTimer);
      clearTimeout(countTimer);
      await Promise.all(running);
    },
  };
}
