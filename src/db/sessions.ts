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

/** Runs `fn` with a connected client to `url`, then disconnects; dropped past `limits`. */
export async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
  limits: SessionLimits = {},
): Promise<T> {
  const { timeoutMs, signal } = limits;
  const stopping = "the session was dropped: stopping";
  if (signal?.aborted) throw new SessionDropped(stopping, "ABORT_ERR");
  const client = new pg.Client({ connectionString: url });
  // A session the server ends fails the query in flight; the event alone must not crash.
  client.on("error", () => {});
  let dropped: SessionDropped | undefined;
  /** Cuts the socket: the query in flight fails and the end does not wait for a goodbye. */
  const drop = (why: string, code: SessionDropped["code"]) => {
    dropped ??= new SessionDropped(why, code);
    client.connection.stream.destroy();
  };
  const timer = timeoutMs === undefined ? undefined : setTimeout(
    () =>
      drop(
        `no answer from the server within ${timeoutMs} ms: the session was dropped`,
        "ETIMEDOUT",
      ),
    timeoutMs,
  );
  const onAbort = () => drop(stopping, "ABORT_ERR");
  signal?.addEventListener("abort", onAbort, { once: true });
  /** What `fn` threw before any drop: a later drop (of a hung end) does not hide it. */
  let failed: { error: unknown } | undefined;
  try {
    await client.connect();
    try {
      return await fn(client);
    } catch (error) {
      if (!dropped) failed = { error };
      throw error;
    } finally {
      await client.end();
    }
  } catch (error) {
    throw failed?.error ?? dropped ?? error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
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
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<never>((_, reject) => {
    const drop = (error: SessionDropped) => {
      client.connection.stream.destroy();
      reject(error);
    };
    timer = setTimeout(
      () =>
        drop(
          new SessionDropped(
            `no answer from the server within ${ms} ms: the connection was dropped`,
            "ETIMEDOUT",
          ),
        ),
      ms,
    );
    onAbort = () => drop(new SessionDropped("the connection was dropped: stopping", "ABORT_ERR"));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, cut]);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort!);
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
