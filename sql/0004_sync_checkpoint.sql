-- The stream's checkpoint inside a source transaction too big for one batch:
-- its commit LSN and how many of its changes are applied. A replay after a
-- crash skips exactly those, then applies the rest.
alter table identity.sync_state
  add column partial_lsn pg_lsn,
  add column partial_changes bigint not null default 0;
-- Room on each page for the stream's updates to stay HOT (no index churn when only
-- mirrored columns, the LSN and updated_at change).
alter table identity.accounts set (fillfactor = 70);
