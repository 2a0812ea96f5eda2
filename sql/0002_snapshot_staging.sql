-- The snapshot's working state: the phases it goes through, and the rows it
-- has read with the policy's decision, waiting for the set-based resolution
-- of contested names.

alter table identity.sync_state
  drop constraint sync_state_phase_known,
  add constraint sync_state_phase_known
    check (phase in ('created', 'snapshotting', 'assigning', 'snapshotted', 'streaming', 'failed')),
  add column legacy_key_type text,
  add column rows_estimate bigint,
  add column snapshot_started_at timestamptz,
  add column snapshot_finished_at timestamptz;

comment on column identity.sync_state.phase is
  'created: slot being made; snapshotting: ranges being read; assigning: contested names resolved, fallbacks being assigned; snapshotted: done, the stream may start';

-- Unlogged: it is rebuilt from the legacy table if lost. A server crash
-- empties it while snapshot_ranges still says "done"; the snapshot notices
-- (rows staged < rows read) and reads the ranges again.
create unlogged table identity.snapshot_rows (
  slot_name text not null,
  range_no integer not null,
  legacy_id text collate "C" not null,
  -- the legacy key as a number when it is an integer, so "smaller id" means numerically smaller
  legacy_int bigint,
  -- 1 exact, 2 normalized, 3 derived; null when the value gave no candidate
  tier smallint,
  candidate text collate "C",
  skeleton text collate "C",
  base text,
  reasons text[] not null,
  raw_value text,
  display_name text,
  legacy_created_at timestamptz,
  public_id text collate "C" not null,
  source_lsn pg_lsn not null
);
