/**
 * `deno task snapshot` killed with SIGKILL at ten points of its work, each reached on purpose and
 * checked after the kill in what the run stored; run again after each, it continues, and at the
 * end no assigned name or public ID has changed and verify passes.
 */
import assert from "node:assert/strict";
import { migrate } from "../src/db/migrate.ts";
import { runLockName } from "../src/snapshot/run_snapshot.ts";
import {
  holdLocks,
  holdRangesAfter,
  killWhileBlocked,
  rangesDone,
  sigkill,
  storedPhase,
  waitBlockedBy,
  whileRunning,
} from "./support/held_kill.ts";
import {
  accountsOf,
  runCli,
  seedLegacyUsers,
  snapshotEnv,
  verifyDatabase,
} from "./support/snapshot_fixture.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { waitFor } from "./support/wait_for.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

/** Where a kill lands: the run as the kill leaves it. */
interface Landed {
  phase: string;
  ranges: number;
  done: number;
  /** Rows staged, and rows with a decided name (claimed or fallback). */
  staged: number;
  named: number;
  /** Accounts, and the indexes of the accounts table. */
  accounts: number;
  accountIndexes: number;
}

/** One point of the snapshot's work. */
interface KillPoint {
  name: string;
  /** Starts the snapshot with `start`, waits until it is at the point, and kills it there. */
  kill(start: () => Deno.ChildProcess): Promise<void>;
  /** Checks the run as the kill left it. */
  landed(run: Landed): void;
}

function spawnSnapshot(db: TestDatabase): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "snapshot"],
    env: snapshotEnv(db, { SNAPSHOT_RANGE_SIZE: "500", SNAPSHOT_WORKERS: "2" }),
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** The ten points, in the order the work reaches them. */
function killPoints(db: TestDatabase): KillPoint[] {
  const slot = db.name;
  /**
   * A point reached by a lock the test takes before the process starts: the process is killed
   * once one of its sessions runs `statement` and waits on that lock.
   */
  const held = (
    point: Omit<KillPoint, "kill"> & { hold: string; values?: unknown[]; statement: RegExp },
  ): KillPoint => ({
    name: point.name,
    landed: point.landed,
    kill: async (start) => {
      await using holder = await holdLocks(db.url);
      await holder.query(point.hold, point.values);
      const child = start();
      const blocked = await waitBlockedBy(db.url, holder, point.statement, {
        what: point.name,
        child,
      });
      await killWhileBlocked(db.url, child, { holder, blocked });
    },
  });
  /** Kills `child` when exactly `target(ranges)` ranges are read, the rest held. */
  const afterRanges = (name: string, target: (ranges: number) => number): KillPoint => {
    let expected = 0;
    return {
      name,
      kill: async (spawn) => {
        const start = await rangesDone(db.url, slot);
        expected = target(start.ranges);
        assert.ok(start.done < expected, `${name}: ${start.done} ranges were read already`);
        const child = spawn();
        // Row locks take a transaction ID, which would hold up the creation of the process's
        // slot: wait until its workers read, so it has one.
        await whileRunning(
          child,
          waitFor(
            `${name}: the workers reading`,
            async () => (await rangesDone(db.url, slot)).done > start.done,
            { timeoutMs: 60_000, intervalMs: 20 },
          ),
        );
        await using holder = await holdLocks(db.url);
        const heldRanges = await holdRangesAfter(holder, slot, expected);
        assert.equal(
          heldRanges,
          start.ranges - expected,
          `${name}: the workers were past range ${expected} before it could be held`,
        );
        await whileRunning(
          child,
          waitFor(
            `${name}: ${expected} ranges read`,
            async () => (await rangesDone(db.url, slot)).done >= expected,
            { timeoutMs: 60_000 },
          ),
        );
        await sigkill(child);
      },
      landed: (run) => {
        assert.equal(run.phase, "snapshotting");
        assert.equal(run.done, expected);
      },
    };
  };
  return [
    held({
      name: "starting: the run not yet recorded, waiting for the run's lock",
      hold: "select pg_advisory_xact_lock(hashtext($1))",
      values: [runLockName(slot)],
      statement: /pg_advisory_lock/,
      landed: (run) => assert.equal(run.phase, "none"),
    }),
    held({
      name: "creating the slot: its consistent point waits for an open legacy transaction",
      hold: "select txid_current()",
      statement: /CREATE_REPLICATION_SLOT/,
      landed: (run) => assert.equal(run.phase, "created"),
    }),
    held({
      name: "reading: ranges planned, no row staged yet",
      hold: "lock table identity.snapshot_rows in share mode",
      statement: /identity\.snapshot_rows/,
      landed: (run) => {
        assert.equal(run.phase, "snapshotting");
        assert.ok(run.ranges > 0, "no ranges planned");
        assert.equal(run.done, 0);
      },
    }),
    afterRanges("reading: a quarter of the ranges read", (n) => Math.floor(n / 4)),
    afterRanges("reading: half of the ranges read", (n) => Math.floor(n / 2)),
    afterRanges("reading: three quarters of the ranges read", (n) => Math.floor((3 * n) / 4)),
    afterRanges("reading: every range but the last read", (n) => n - 1),
    held({
      name: "every range read: the run about to move to assigning",
      hold: "lock table identity.sync_state in share mode",
      statement: /update identity\.sync_state/,
      landed: (run) => {
        assert.equal(run.phase, "snapshotting");
        assert.equal(run.done, run.ranges);
        assert.equal(run.staged, 40_000);
        assert.equal(run.named, 0);
      },
    }),
    held({
      name: "assigning: the accounts about to be loaded",
      hold: "lock table identity.accounts in row exclusive mode",
      statement: /lock table identity\.accounts/,
      // Names are decided in the load's own transaction, in one pass into the empty accounts.
      landed: (run) => {
        assert.equal(run.phase, "assigning");
        assert.equal(run.named, 0);
        assert.equal(run.accounts, 0);
      },
    }),
    held({
      name: "assigning: the accounts' indexes dropped, the names about to be decided",
      hold: "lock table identity.migration_report in share mode",
      statement: /lock table identity\.migration_report/,
      // The kill rolls the dropped indexes back with the rest: the next run finds them there.
      landed: (run) => {
        assert.equal(run.phase, "assigning");
        assert.equal(run.named, 0);
        assert.equal(run.accounts, 0);
        assert.equal(run.accountIndexes, 5);
      },
    }),
  ];
}

/**
 * How many rows the run has staged, how many of them have a decided name, how many accounts
 * there are and how many indexes the accounts table has.
 */
async function stagedAndNamed(
  db: TestDatabase,
): Promise<{ staged: number; named: number; accounts: number; accountIndexes: number }> {
  return await withClient(db.url, async (client) => {
    const { rows } = await client.query(
      `select (select count(*)::int from identity.snapshot_rows where slot_name = $1) as staged,
              (select count(*)::int from identity.snapshot_names where slot_name = $1) as named,
              (select count(*)::int from identity.accounts) as accounts,
              (select count(*)::int from pg_index
               where indrelid = 'identity.accounts'::regclass) as "accountIndexes"`,
      [db.name],
    );
    return rows[0];
  });
}

Deno.test("snapshot killed with SIGKILL at ten points continues, and no assigned name or ID changes", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 40_000, { seed: 11 });
  const seen = new Map<string, { username: string; publicId: string }>();
  // The schema is there from the start, so every kill lands in the snapshot itself.
  await migrate(db.url);
  const checkNothingChanged = async () => {
    const accounts = await accountsOf(db);
    for (const [legacyId, before] of seen) {
      const now = accounts.get(legacyId);
      assert.ok(now, `account of legacy ${legacyId} disappeared`);
      assert.equal(now.username, before.username, `username of legacy ${legacyId} changed`);
      assert.equal(now.publicId, before.publicId, `public ID of legacy ${legacyId} changed`);
    }
    for (const [legacyId, account] of accounts) seen.set(legacyId, account);
  };

  const landed: string[] = [];
  for (const point of killPoints(db)) {
    let child: Deno.ChildProcess | undefined;
    try {
      await point.kill(() => child = spawnSnapshot(db));
    } catch (error) {
      try {
        child?.kill("SIGKILL");
      } catch {
        // It is gone already.
      }
      await child?.status;
      throw new Error(`Cannot kill the snapshot at "${point.name}": ${(error as Error).message}`, {
        cause: error,
      });
    }
    const run = {
      phase: await storedPhase(db.url, db.name),
      ...await rangesDone(db.url, db.name),
      ...await stagedAndNamed(db),
    };
    try {
      point.landed(run);
    } catch (error) {
      throw new Error(
        `The kill at "${point.name}" landed elsewhere (${JSON.stringify(run)}): ${
          (error as Error).message
        }`,
        { cause: error },
      );
    }
    landed.push(`${point.name} (${run.phase}, ${run.done}/${run.ranges} ranges)`);
    await checkNothingChanged();
  }

  const last = await runCli(db, ["snapshot"]);
  assert.equal(last.code, 0, last.stderr);
  await checkNothingChanged();
  assert.equal(seen.size, 40_000);
  assert.equal(landed.length, 10);
  console.log(`survived ${landed.length} kills, each where it claims:\n  ${landed.join("\n  ")}`);
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
});
