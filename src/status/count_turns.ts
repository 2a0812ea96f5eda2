/**
 * Turns of an expensive periodic read (the account counts, a scan of the whole table): one at a
 * time, each scheduled when the last ends, as far off as that one took.
 */

/**
 * The next turn waits at least this many times as long as the last one took, ended or failed: the
 * read keeps one server process busy at most about 1 % of the time, however large the table
 * (minutes at 300M accounts, so hours between counts).
 */
export const TURN_SPACING = 100;

/** Milliseconds until the next turn, after one that took `tookMs`. */
export function nextTurnDelay(everyMs: number, tookMs: number): number {
  return Math.max(everyMs, TURN_SPACING * tookMs);
}

/** Running turns. */
export interface CountTurns {
  /**
   * A turn now, not at the next one (e.g. once a snapshot has loaded the accounts). While a turn
   * runs, the next one follows it at once: that one may have read before the change.
   */
  now(): void;
  /** No turn after this; waits for the one running. */
  stop(): Promise<void>;
}

/** How turns are spaced and who hears of a failed one. */
export interface CountTurnsOptions {
  everyMs: number;
  onError: (error: unknown) => void;
  /** Milliseconds, for how long a turn took; `performance.now` unless a test sets its own. */
  clock?: () => number;
}

/**
 * Starts turns of `read`, the first at once. A turn that fails waits like one that ended (a scan
 * stopped late cost as much); `onError` hears why.
 */
export function startCountTurns(
  read: () => Promise<void>,
  options: CountTurnsOptions,
): CountTurns {
  const clock = options.clock ?? (() => performance.now());
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const turn = (): void => {
    clearTimeout(timer);
    if (stopped) return;
    if (running !== undefined) {
      again = true;
      return;
    }
    const started = clock();
    running = read()
      .catch((error) => {
        try {
          options.onError(error);
        } catch {
          // Whoever hears of the failure cannot stop the turns.
        }
      })
      .finally(() => {
        running = undefined;
        if (stopped) return;
        if (again) {
          again = false;
          turn();
          return;
        }
        timer = setTimeout(turn, nextTurnDelay(options.everyMs, clock() - started));
      });
  };
  turn();
  return {
    now: turn,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
