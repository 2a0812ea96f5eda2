/**
 * Dead letters hold any legacy text: a value that spells `\u0000` (which a naive escape turned
 * into a NUL jsonb refuses, so the batch failed again and again and held the slot's WAL), and
 * values of megabytes, stored bounded.
 */
import assert from "node:assert/strict";
import {
  changeFromPayload,
  PAYLOAD_FIELD_MAX_CODE_POINTS,
} from "../src/apply/dead_letter_payload.ts";
import { listDeadLetters, recordDeadLetters } from "../src/apply/dead_letters.ts";
import type { LegacyChange } from "../src/apply/legacy_change.ts";
import { migrate } from "../src/db/migrate.ts";
import { createTestDatabase, withClient } from "./support/test_database.ts";

Deno.test("a dead letter stores text that spells \\u0000 as it is, and huge text bounded", async () => {
  await using db = await createTestDatabase();
  await migrate(db.url);
  const spelled: LegacyChange = {
    kind: "upsert",
    legacyId: "1",
    legacyInt: "1",
    username: "bob\\u0000smith",
    createdAt: null,
    displayName: "C:\\\\u0000\\u0000",
    lsn: "0/10",
  };
  const huge: LegacyChange = { ...spelled, legacyId: "2", displayName: "d".repeat(10_000_000) };
  await withClient(db.url, async (client) => {
    await recordDeadLetters(client, [
      { change: spelled, error: "failed once" },
      { change: huge, error: "failed once" },
    ]);
    const letters = await listDeadLetters(client);
    assert.equal(letters.length, 2);
    assert.deepEqual(changeFromPayload(letters[0]!.payload), spelled);
    const bounded = changeFromPayload(letters[1]!.payload);
    assert.equal(
      bounded.kind === "upsert" && bounded.displayName?.length,
      PAYLOAD_FIELD_MAX_CODE_POINTS,
    );
    const { rows } = await client.query(
      "select max(pg_column_size(payload))::int as bytes from identity.dead_letters",
    );
    assert.ok(rows[0].bytes < 10_000, `a payload of ${rows[0].bytes} bytes`);
  });
});
