/**
 * The Prometheus names of every metric the service exports: a contract, relied on by the alert
 * rules in `ops/prometheus/`, the dashboard in `ops/grafana/` and operators' queries.
 */
export const METRIC_NAMES = {
  replicationLagBytes: "identity_sync_replication_lag_bytes",
  applyLagSeconds: "identity_sync_apply_lag_seconds",
  eventsApplied: "identity_sync_events_applied_total",
  batchDuration: "identity_sync_batch_duration_seconds",
  snapshotRows: "identity_sync_snapshot_rows_total",
  snapshotProgress: "identity_sync_snapshot_progress_ratio",
  deadLetters: "identity_sync_dead_letters_total",
  slotSafeWalBytes: "identity_sync_slot_safe_wal_bytes",
  slotWalStatus: "identity_sync_slot_wal_status",
  slotFailoverReady: "identity_sync_slot_failover_ready",
  up: "identity_sync_up",
  standby: "identity_sync_standby",
  accounts: "identity_accounts_total",
} as const;

/** The values `identity_sync_slot_wal_status{status}` reports, one of them 1 and the others 0. */
export const WAL_STATUSES = ["reserved", "extended", "unreserved", "lost"] as const;
