/** `deno task status` for a person: the status as an aligned two-column table. */
import type { SyncStatus } from "./read_status.ts";

/** Renders `status` as lines of `label  value`. */
export function formatStatus(status: SyncStatus): string {
  const { snapshot, slot, stream, dead_letters: letters } = status;
  const rows: [string, string][] = [
    ["slot", status.slot_name],
    ["phase", status.phase],
    [
      "snapshot",
      `${snapshot.ranges_done}/${snapshot.ranges_total} ranges, ${count(snapshot.rows_read)} of ~${
        count(snapshot.rows_estimate)
      } rows (${percent(snapshot.progress_ratio)})`,
    ],
    [
      "slot state",
      slot.exists
        ? `${slot.active ? "active" : "inactive"}, wal_status ${slot.wal_status ?? "-"}`
        : "MISSING",
    ],
    [
      "standby",
      `${slot.standby_daemons} daemon${slot.standby_daemons === 1 ? "" : "s"} standing by`,
    ],
    [
      "failover",
      slot.failover_ready === null
        ? "-"
        : slot.failover_ready
        ? "ready: a promoted standby keeps the slot"
        : `NOT READY: ${slot.failover_problem}`,
    ],
    ["slot lag", bytes(slot.lag_bytes)],
    [
      "safe WAL",
      slot.exists && slot.safe_wal_bytes === null ? "unlimited" : bytes(slot.safe_wal_bytes),
    ],
    ["last applied", stream.last_applied_lsn ?? "-"],
    ["last commit", stream.last_commit_time ?? "-"],
    [
      "apply lag",
      stream.apply_lag_seconds === null ? "-" : `${stream.apply_lag_seconds.toFixed(1)} s`,
    ],
    ["dead letters", `${letters.unresolved} unresolved (${letters.total} in all)`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n");
}

function count(value: number | null): string {
  return value === null ? "?" : Math.round(value).toLocaleString("en");
}

function percent(ratio: number | null): string {
  return ratio === null ? "?" : `${(ratio * 100).toFixed(1)} %`;
}

function bytes(value: number | null): string {
  if (value === null) return "-";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let scaled = value;
  let unit = 0;
  while (Math.abs(scaled) >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return `${scaled.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
