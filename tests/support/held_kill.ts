/**
 * Kills that land where they claim. A transaction of the test's own holds a lock that the process
 * needs at one point of its work; the process is seen waiting on exactly that lock, so it is
 * provably there, and cannot move on, when it is SIGKILLed. The statement it waited for never
 * commits: its process is gone before it could ask to.
 */
import assert from "node:assert/strict";
import pg from "../../src/db/pg.ts";
import { withClient } from "../../src/db/sessions.ts";
import { waitFor } from "./wait_for.ts";

/** A transaction of the test's own that keeps its locks until released. */
export interface LockHolder extends AsyncDisposable {
  /** Its backend's process ID: the one a blocked session waits for. */
  readonly pid: number;
  /** Runs `text` inside the transaction. */
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  /** Rolls back, which lets whoever waits go on; again does nothing. */
  release(): Promise<void>;
}

/**
 * Opens a transaction on `url` to hold locks in. A lock that needs a transaction ID (a row lock)
 * also holds up the creation of any replication slot until released: take one only once the
 * process has its slot.
 */
export async function holdLocks(url: string): Promise<LockHolder> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
  await client.query("begin");
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    try {
      await client.query("rollback");
    } finally {
      await client.end();
    }
  };
  return {
    pid: rows[0]!.pid,
    query: (text, values) => client.query(text, values),
    release,
    [Symbol.asyncDispose]: release,
  };
}

/** A session waiting on a {@linkcode LockHolder}. */
export interface BlockedSession {
  pid: number;
  query: string;
}

/**
 * Waits until a session running a statement that matches `statement` waits on `holder`; fails at
 * once if `options.child` exits first.
 */
export async function waitBlockedBy(
  url: string,
  holder: LockHolder,
  statement: RegExp,
  options: { what: string; child: Deno.ChildProcess; timeoutMs?: number },
): Promise<BlockedSession> {
  return await whileRunning(
    options.child,
    waitFor(
      `${options.what}: a session running ${statement} waiting on the test's lock`,
      async () => {
        const { rows } = await withClient(url, (client) =>
          client.query<BlockedSession>(
            "select pid, query from pg_stat_activity where $1 = any(pg_blocking_pids(pid))",
            [holder.pid],
          ));
        return rows.find((row) => statement.test(row.query));
      },
      { timeoutMs: options.timeoutMs ?? 60_000 },
    ),
  );
}

/** Settles as `waiting` does, unless `child` exits first: then fails, saying so. */
export async function whileRunning<T>(child: Deno.ChildProcess, waiting: Promise<T>): Promise<T> {
  const first = await Promise.race([
    waiting.then((value) => ({ value })),
    child.status.then((status) => ({ status })),
  ]);
  if ("value" in first) return first.value;
  waiting.catch(() => {});
  const { code, signal } = first.status;
  throw new Error(
    `the process exited (code ${code}${signal ? `, ${signal}` : ""}) before it got there`,
  );
}

/** SIGKILLs `child` and checks that it died of it, not by itself before. */
export async function sigkill(child: Deno.ChildProcess): Promise<void> {
  child.kill("SIGKILL");
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL", `the process exited by itself (code ${status.code})`);
}

/**
 * SIGKILLs `child` while `blocked` waits on `holder`, releases the holder, and waits until the
 * blocked session has ended too, so that nothing of the killed process stands in the next one's
 * way (a walsender still holding its slot, say).
 */
export async function killWhileBlocked(
  url: string,
  child: Deno.ChildProcess,
  options: { holder: LockHolder; blocked: BlockedSession },
): Promise<void> {
  await sigkill(child);
  await options.holder.release();
  await waitFor(
    `session ${options.blocked.pid} of the killed process to end`,
    async () =>
      (await withClient(
        url,
        (client) =>
          client.query("select 1 from pg_stat_activity where pid = $1", [options.blocked.pid]),
      )).rowCount === 0,
  );
}

/**
 * Holds, with row locks, every range of the run of `slotName` after `rangeNo` that is not done
 * and no worker holds; returns how many. Workers claim with SKIP LOCKED, so they read up to
 * `rangeNo` and then wait.
 */
export async function holdRangesAfter(
  holder: LockHolder,
  slotName: string,
  rangeNo: number,
): Promise<number> {
  const { rowCount } = await holder.query(
    `select range_no from identity.snapshot_ranges
     where slot_name = $1 and status <> 'done' and range_no > $2
     for update skip locked`,
    [slotName, rangeNo],
  );
  return rowCount ?? 0;
}

/** How many ranges the run of `slotName` has, and how many are done. */
export async function rangesDone(
  url: string,
  slotName: string,
): Promise<{ ranges: number; done: number }> {
  return await withClient(url, async (client) => {
    const { rows } = await client.query(
      `select count(*)::int as ranges, count(*) filter (where status = 'done')::int as done
       from identity.snapshot_ranges where slot_name = $1`,
      [slotName],
    );
    return { ranges: rows[0].ranges, done: rows[0].done };
  });
}

/** The stored phase of the run of `slotName`, or "none" when there is no run. */
export async function storedPhase(url: string, slotName: string): Promise<string> {
  return await withClient(url, async (client) => {
    const { rows } = await client.query(
      "select phase from identity.sync_state where slot_name = $1",
      [slotName],
    );
    return rows[0]?.phase ?? "none";
  });
}
