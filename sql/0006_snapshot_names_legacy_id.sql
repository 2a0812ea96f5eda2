-- The fallback pass asks, for each staged row, whether a name was already decided for its
-- legacy id: an index keeps that a look-up whatever plan the server picks.
create index snapshot_names_legacy_id_idx on identity.snapshot_names (legacy_id);
