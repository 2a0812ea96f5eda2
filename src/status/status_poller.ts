/**
 * Polls what metrics and readiness need from the databases on a cadence of its own, so that a
 * burst of scrapes never becomes a burst of queries: the slot every few seconds, the account
 * counts (a scan of the accounts table) far less often, and the longer a scan takes, the rarer.
 */
import { BRIEF_SESSION_MS, withClient } from "../db/sessions.ts";
import { errorLine, logger } from "../logging/logging.ts";
import { countAccountsBySource } from "./account_counts.ts";
import { startCountTurns } from "./count_turns.ts";
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
  /** Milliseconds between account counts, at least (longer after a long one: `count_turns.ts`). */
  accountsEveryMs?: number;
  /** Milliseconds an account count may take before its session is dropped. */
  accountsTimeoutMs?: number;
}

/** A count scans the whole table, minutes at 300M accounts; this long means no answer is coming. */
const ACCOUNTS_TIMEOUT_MS = 3_600_000;

const log = logger("status");

function cannotPoll(what: string, error: unknown): void {
  log.debug("cannot poll {what}: {error}", { what, error: errorLine(error) });
}

/** A running poller. */
export interface StatusPoller {
  /** Counts the accounts now (e.g. once a snapshot has loaded them), not at the next turn. */
  countAccounts(): void;
  /** Stops polling; a poll in progress is dropped, not waited for to its end. */
  stop(): Promise<void>;
}

/** Starts polling at once, then on each cadence. */
export function startStatusPoller(options: StatusPollerOptions): StatusPoller {
  const stopping = new AbortController();
  const { signal } = stopping;
  const pollSlot = () =>
    withClient(
      options.legacyUrl,
      (client) => readSlotStatus(client, options.slotName, { failover: options.slotFailover }),
      { timeoutMs: BRIEF_SESSION_MS, signal },
    )
      .then(options.onSlot);
  const running = new Set<Promise<void>>();
  const slot = () => {
    if (running.size > 4) return;
    const polling = pollSlot()
      .catch((error) => cannotPoll("the replication slot", error))
      .finally(() => running.delete(polling));
    running.add(polling);
  };
  slot();
  const slotTimer = setInterval(slot, options.slotEveryMs ?? 5_000);
  const counts = startCountTurns(
    async () =>
      options.onAccounts(
        await withClient(options.identityUrl, countAccountsBySource, {
          timeoutMs: options.accountsTimeoutMs ?? ACCOUNTS_TIMEOUT_MS,
          signal,
        }),
      ),
    {
      everyMs: options.accountsEveryMs ?? 300_000,
      onError: (error) => cannotPoll("the account counts", error),
    },
  );
  return {
    countAccounts: counts.now,
    stop: async () => {
      clearInterval(slotTimer);
      stopping.abort();
      await Promise.all([...running, counts.stop()]);
    },
  };
}
