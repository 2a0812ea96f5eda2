/** Waiting on state, never on sleeps: poll until a probe says yes, or fail naming what. */
import { withClient } from "../../src/db/sessions.ts";

/**
 * Polls `probe` until it returns something truthy, and returns that. A probe that throws has
 * not seen it yet (before the daemon's first migration its tables do not exist, say); if it
 * still throws at the deadline, the timeout says with what.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | false | null | undefined>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  while (true) {
    let failure: unknown;
    const value = await probe().catch((error) => {
      failure = error;
      return undefined;
    });
    if (value) return value;
    if (Date.now() > deadline) {
      const cause = failure === undefined ? "" : ` (the probe failed: ${failure})`;
      throw new Error(`timed out waiting for ${what}${cause}`, { cause: failure });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until the run of `slot` (the only one when omitted) is in `phase`. */
export async function waitForPhase(
  url: string,
  phase: string,
  options: { slot?: string; timeoutMs?: number } = {},
): Promise<void> {
  await waitFor(`phase ${phase}`, async () => {
    const { rows } = await withClient(url, (client) =>
      client.query(
        "select phase from identity.sync_state where $1::text is null or slot_name = $1",
        [options.slot ?? null],
      ));
    return rows[0]?.phase === phase;
  }, { timeoutMs: options.timeoutMs });
}
