import assert from "node:assert/strict";
import { migrate } from "../src/db/migrate.ts";
import pg from "../src/db/pg.ts";
import { withClient } from "../src/db/sessions.ts";
import { ApplyPartitions } from "../src/sync/apply_partitions.ts";
import { claimSlot } from "../src/sync/claim_slot.ts";
import { createTestDatabase } from "./support/test_database.ts";

/** The backends of `pids` still alive on the server of `url`. */
async function alive(url: string, pids: readonly number[]): Promise<number[]> {
  return await withClient(url, async (client) =>
    (await client.query<{ pid: number }>(
      "select pid from pg_stat_activity where pid = any($1::int[]) order by pid",
      [pids],
    )).rows.map((row) => row.pid));
}

Deno.test("a daemon that claims the slot ends the apply partitions of the one before, open transactions and all", async () => {
  await using db = await createTestDatabase();
  await migrate(db.url);
  // The daemon before: its own session is ended by the claim too, so it closes without complaint.
  const before = new pg.Client({ connectionString: db.url });
  before.on("error", () => {});
  await before.connect();
  try {
    await claimSlot(before, "slot_a");
    const partitions = await ApplyPartitions.connect(db.url, 2);
    try {
      await partitions.mark("slot_a");
      // A batch in flight: a share's transaction open.
      const [first] = partitions.clients;
      await first!.query("begin");
      await first!.query(
        "update identity.sync_state set updated_at = now() where slot_name = 'none'",
      );
      assert.equal((await alive(db.url, partitions.pids)).length, 2);

      const other = new pg.Client({ connectionString: db.url });
      await other.connect();
      try {
        // Another slot's claim leaves them alone.
        assert.deepEqual((await claimSlot(other, "slot_b")).ended, []);
      } finally {
        await other.end();
      }
      const { rows: [{ pid: beforePid }] } = await before.query("select pg_backend_pid() as pid");
      await withClient(db.url, async (next) => {
        const claim = await claimSlot(next, "slot_a");
        assert.deepEqual(
          claim.ended.toSorted((a, b) => a - b),
          [beforePid, ...partitions.pids].toSorted((a, b) => a - b),
        );
      });
      for (let i = 0; i < 50 && (await alive(db.url, partitions.pids)).length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.deepEqual(await alive(db.url, partitions.pids), []);
      await assert.rejects(first!.query("commit"));
    } finally {
      await partitions.end();
    }
  } finally {
    await before.end().catch(() => {});
  }
});

Deno.test("with one apply connection there are no partitions: a batch opens nothing more", async () => {
  await using db = await createTestDatabase();
  const partitions = await ApplyPartitions.connect(db.url, 0);
  try {
    assert.deepEqual(partitions.pids, []);
    assert.deepEqual(partitions.clients, []);
  } finally {
    await partitions.end();
  }
});
