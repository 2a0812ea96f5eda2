-- Decided names need no WAL of their own: nothing outside the snapshot sees them until the
-- accounts are loaded, and a server crash, the one thing that empties an unlogged table, also
-- empties identity.snapshot_rows, so the snapshot notices and reads its ranges again.
alter table identity.snapshot_names set unlogged;
