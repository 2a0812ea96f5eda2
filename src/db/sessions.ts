/** Short sessions and transactions: connect, do one thing, let go. */
import pg from "./pg.ts";

/**
 * Bounds on a short session. A server that stops answering without a reset (a partition, a
 * half-open connection after a failover) never fails a query, and TCP keep-alive does not reach
 * the socket under Deno: without a bound, the session would wait forever.
 */
export interface SessionLimits {
  /** Milliseconds for the whole session, connecting and letting go included; then it is dropped. */
  timeoutMs?: number;
  /** Drops the session at once (e.g. the daemon stops). */
  signal?: AbortSignal;
}

/**
 * The deadline of a session of a few catalog reads (start-up checks, slot polls, the status
 * command): a server that has not answered in this long is not there.
 */
export const BRIEF_SESSION_MS = 60_000;

/**
 * A short session dropped at its deadline (`ETIMEDOUT`, a server out of reach to whoever retries),
 * or by its signal (`ABORT_ERR`).
 */
export class SessionDropped extends Error {
  override name = "SessionDropped";
  constructor(message: string, readonly code: "ETIMEDOUT" | "ABORT_ERR") {
    super(message);
  }
}

/** A cut armed on a client's socket: see {@linkcode armCut}. */
interface ArmedCut {
  /** Rejects with the drop once the socket is cut; never resolves. */
  cut: Promise<never>;
  /** The drop, once the socket is cut. */
  dropped(): SessionDropped | undefined;
  /** Clears the deadline and stops listening to the signal. */
  disarm(): void;
}

/**
 * Cuts `client`'s socket at `limits.timeoutMs` or once `limits.signal` aborts (at once if it has):
 * the query in flight fails, and an end does not wait for a goodbye.
 */
function armCut(client: pg.Client, limits: SessionLimits, what: string): ArmedCut {
  const { timeoutMs, signal } = limits;
  let dropped: SessionDropped | undefined;
  let reject: (error: SessionDropped) => void = () => {};
  const cut = new Promise<never>((_, r) => reject = r);
  cut.catch(() => {});
  const drop = (why: string, code: SessionDropped["code"]) => {
    if (dropped) return;
    dropped = new SessionDropped(why, code);
    client.connection.stream.destroy();
    reject(dropped);
  };
  const timer = timeoutMs === undefined ? undefined : setTimeout(
    () =>
      drop(
        `no answer from the server within ${timeoutMs} ms: the ${what} was dropped`,
        "ETIMEDOUT",
      ),
    timeoutMs,
  );
  const onAbort = () => drop(`the ${what} was dropped: stopping`, "ABORT_ERR");
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  return {
    cut,
    dropped: () => dropped,
    disarm: () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    },
  };
}

/** Runs `fn` with a connected client to `url`, then disconnects; dropped past `limits`. */
export async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
  limits: SessionLimits = {},
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  // A session the server ends fails the query in flight; the event alone must not crash.
  client.on("error", () => {});
  const armed = armCut(client, limits, "session");
  /** What `fn` threw before any drop: a later drop (of a hung end) does not hide it. */
  let failed: { error: unknown } | undefined;
  try {
    // A signal already given: never connects.
    const early = armed.dropped();
    if (early) throw early;
    await client.connect();
    try {
      return await fn(client);
    } catch (error) {
      if (!armed.dropped()) failed = { error };
      throw error;
    } finally {
      await client.end();
    }
  } catch (error) {
    throw failed?.error ?? armed.dropped() ?? error;
  } finally {
    armed.disarm();
  }
}

/**
 * Waits for `work` on the long-lived `client`, cutting the client's socket if it has not settled
 * within `ms`, or once `signal` aborts: then `work` fails too, and so does every later query of
 * the client.
 */
export async function within<T>(
  client: pg.Client,
  ms: number,
  work: Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const armed = armCut(client, { timeoutMs: ms, signal }, "connection");
  try {
    return await Promise.race([work, armed.cut]);
  } finally {
    armed.disarm();
  }
}

/** Runs `fn` in a transaction on `client`: committed when it returns, rolled back when it throws. */
export async function inTransaction<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await client.query("begin");
  try {
    const result = await fn();
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback");
    throw error;
  }
}
