import assert from "node:assert/strict";
import { formatStatus } from "./format_status.ts";
import type { SyncStatus } from "./read_status.ts";

const STREAMING: SyncStatus = {
  slot_name: "identity_sync",
  phase: "streaming",
  snapshot: {
    ranges_total: 20,
    ranges_done: 20,
    rows_read: 1_000_000,
    rows_estimate: 1_000_000,
    progress_ratio: 1,
    started_at: "2026-11-28T07:00:00.000Z",
    finished_at: "2026-11-28T07:01:00.000Z",
  },
  slot: {
    exists: true,
    active: true,
    wal_status: "reserved",
    lag_bytes: 3_500_000,
    safe_wal_bytes: null,
    confirmed_flush_lsn: "0/3000000",
    standby_daemons: 2,
    failover_ready: false,
    failover_problem: "synchronized_standby_slots is empty",
  },
  stream: {
    consistent_point: "0/1000000",
    last_applied_lsn: "0/3000000",
    last_commit_time: "2026-11-28T07:05:00.000Z",
    apply_lag_seconds: 0.42,
  },
  dead_letters: { unresolved: 2, total: 3 },
};

Deno.test("formatStatus() aligns one line per fact, sizes in readable units", () => {
  const lines = formatStatus(STREAMING).split("\n");
  assert.equal(lines[0], "slot          identity_sync");
  assert.ok(lines.includes("snapshot      20/20 ranges, 1,000,000 of ~1,000,000 rows (100.0 %)"));
  assert.ok(lines.includes("slot state    active, wal_status reserved"));
  assert.ok(lines.includes("standby       2 daemons standing by"));
  assert.ok(lines.includes("failover      NOT READY: synchronized_standby_slots is empty"));
  assert.ok(lines.includes("slot lag      3.3 MB"));
  assert.ok(lines.includes("safe WAL      unlimited"));
  assert.ok(lines.includes("apply lag     0.4 s"));
  assert.ok(lines.includes("dead letters  2 unresolved (3 in all)"));
});

Deno.test("formatStatus() says when the slot is missing and nothing is known yet", () => {
  const text = formatStatus({
    ...STREAMING,
    phase: "none",
    snapshot: { ...STREAMING.snapshot, rows_estimate: null, progress_ratio: null },
    slot: { ...STREAMING.slot, exists: false, lag_bytes: null, wal_status: null },
    stream: { ...STREAMING.stream, apply_lag_seconds: null },
  });
  assert.match(text, /^slot state {4}MISSING$/m);
  assert.match(text, /of ~\? rows \(\?\)/);
  assert.match(text, /^apply lag {5}-$/m);
});
