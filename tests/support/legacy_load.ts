/** Writes to the legacy table as an application would, through restarts and failovers. */
import { changeLegacyUsers } from "../../src/demo/legacy_users.ts";
import { withClient } from "./test_database.ts";

/** A load on the legacy table, counting what it committed and what failed. */
export interface LegacyLoad {
  /** Transactions committed so far. */
  readonly committed: number;
  /** Stops after the transaction in flight. */
  stop(): Promise<{ committed: number; failed: number }>;
}

/**
 * Commits, until stopped, transactions of renames, deletes, inserts and display-name edits on
 * the legacy table at `url()`, read before each one so that the load can follow a failover. A
 * transaction that fails (the server restarting, gone, not yet promoted) is counted and retried
 * shortly with the next seed.
 */
export function startLegacyLoad(url: () => string): LegacyLoad {
  let stopped = false;
  let committed = 0;
  let failed = 0;
  let nextId = 10_000;
  const done = (async () => {
    for (let seed = 1; !stopped; seed++) {
      const firstNewId = nextId;
      nextId += 10;
      try {
        await withClient(url(), async (client) => {
          await changeLegacyUsers(client, {
            renames: 5,
            deletes: 2,
            inserts: 10,
            firstNewId,
            seed,
          });
          await client.query(
            "update users set display_name = 'load ' || $1 where id % 11 = $1 % 11",
            [seed],
          );
        });
        committed++;
      } catch {
        failed++;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
      return { committed, failed };
    },
    get committed() {
      return committed;
    },
  };
}
