-- The fallbacks the snapshot's one pass draws for the staged accounts that do not win their
-- candidate, written by a session of their own while the load's transaction writes the winners'
-- accounts. Unlogged and without an index: the load reads them all once; a crash loses only
-- draws, which the next load draws again (it first deletes what a failed one left).
create unlogged table identity.snapshot_fallbacks (
  slot_name text not null,
  legacy_id text collate "C" not null,
  username text collate "C" not null,
  skeleton text collate "C" not null,
  reasons text[] not null
);
