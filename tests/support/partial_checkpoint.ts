/** A daemon killed in the middle of a source transaction bigger than a batch. */
import { type TestDatabase, withClient } from "./test_database.ts";
import { waitFor } from "./wait_for.ts";

/** Changes of the split source transaction that the stored checkpoint says are applied. */
export async function partialChanges(db: TestDatabase): Promise<number> {
  const { rows } = await withClient(
    db.url,
    (client) => client.query("select partial_changes from identity.sync_state"),
  );
  return Number(rows[0]?.partial_changes ?? 0);
}

/**
 * Waits until `daemon` has applied a part of a split source transaction, SIGKILLs it, and returns
 * the partial checkpoint it left.
 */
export async function killAfterPartialCheckpoint(
  db: TestDatabase,
  daemon: Deno.ChildProcess,
): Promise<number> {
  await waitFor("a part of the transaction applied", async () => (await partialChanges(db)) > 0);
  daemon.kill("SIGKILL");
  await daemon.status;
  return await partialChanges(db);
}
