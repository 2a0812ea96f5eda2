/**
 * Polls what metrics and readiness need from the databases on a cadence of its own, so that a
 * burst of scrapes never becomes a burst of queries: the slot every few seconds, the account
 * counts (a scan of the accounts table) far less often.
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
  /** Milliseconds between account counts. */
  accountsEveryMs?: number;
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
  const pollAccounts = () =>
    withClient(options.identityUrl, countAccountsBySource).then(options.onAccounts);
  const timers: ReturnType<typeof setInterval>[] = [];
  const running = new Set<Promise<void>>();
  const runner = (poll: () => Promise<void>, what: string) => () => {
    if (running.size > 4) return;
    const polling = poll()
      .catch((error) => log.debug("cannot poll {what}: {error}", { what, error: errorLine(error) }))
      .finally(() => running.delete(polling));
    running.add(polling);
  };
  const slot = runner(pollSlot, "the replication slot");
  const accounts = runner(pollAccounts, "the account counts");
  slot();
  accounts();
  timers.push(setInterval(slot, options.slotEveryMs ?? 5_000));
  timers.push(setInterval(accounts, options.accountsEveryMs ?? 300_000));
  return {
    countAccounts: accounts,
    stop: async () => {
      for (const timer of timers) clearInterval(timer);
      await Promise.all(running);
    },
  };
}
