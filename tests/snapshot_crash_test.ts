import assert from "node:assert/strict";
import { migrate } from "../src/db/migrate.ts";
import {
  accountsOf,
  runCli,
  seedLegacyUsers,
  snapshotEnv,
  verifyDatabase,
} from "./support/snapshot_fixture.ts";
import { createTestDatabase, withClient } from "./support/test_database.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

Deno.test("snapshot killed with SIGKILL at many points continues, and no assigned name or ID changes", async () => {
  await using db = await createTestDatabase();
  await seedLegacyUsers(db, 40_000, { seed: 11 });
  const seen = new Map<string, { username: string; publicId: string }>();
  const phases = new Set<string>();
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

  let kills = 0;
  for (const delayMs of [300, 700, 1_100, 1_500, 1_900, 2_400, 2_900, 3_500, 4_200, 5_000]) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "snapshot"],
      env: snapshotEnv(db, { SNAPSHOT_RANGE_SIZE: "500", SNAPSHOT_WORKERS: "2" }),
      stdout: "null",
      stderr: "null",
    }).spawn();
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // It finished first.
      }
    }, delayMs);
    const status = await child.status;
    clearTimeout(timer);
    if (status.signal === "SIGKILL") kills++;
    phases.add(
      await withClient(
        db.url,
        async (client) =>
          (await client.query("select phase from identity.sync_state")).rows[0]?.phase ?? "none",
      ),
    );
    await checkNothingChanged();
    if (status.success) break;
  }

  const last = await runCli(db, ["snapshot"]);
  assert.equal(last.code, 0, last.stderr);
  await checkNothingChanged();
  assert.equal(seen.size, 40_000);
  assert.ok(kills >= 3, `only ${kills} kills landed (phases seen: ${[...phases]})`);
  console.log(`survived ${kills} kills; phases seen after kills: ${[...phases].join(", ")}`);
  const verified = await verifyDatabase(db);
  assert.equal(verified.ok, true, JSON.stringify(verified.breaches));
});
