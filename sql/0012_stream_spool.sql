-- The changes of a large legacy transaction, streamed by the walsender while it is still in
-- progress (pgoutput protocol 2), kept here until its commit arrives; then applied and deleted.
-- One row per change, in the order the transaction made them (`seq`). Unlogged: a crash of the
-- identity server empties it, and the slot, acknowledged only past applied commits, streams the
-- transaction again. Each streaming session writes and reads only its own rows (`session_id`), and
-- deletes those of its slot's earlier sessions once the slot is its own. No index:
-- the rows go in by COPY as fast as the walsender sends them, and are read back by ranges of
-- pages (one transaction's rows lie together) or once, sorted.
create unlogged table identity.stream_spool (
  slot_name text not null,
  session_id uuid not null,
  -- The streamed (top-level) transaction, and the subtransaction that made the change: a
  -- rolled-back subtransaction's changes are passed over when the transaction is applied.
  xid bigint not null,
  sub_xid bigint not null,
  seq bigint not null,
  -- 'upsert', 'delete' or 'truncate'.
  kind text not null,
  legacy_id text collate "C",
  previous_legacy_id text collate "C",
  legacy_int text,
  -- A value not sent (unchanged and stored out of line) is null with its flag false.
  username text,
  username_sent boolean not null default false,
  -- The username escaped as `identity.accounts.legacy_username` stores it.
  legacy_username text,
  created_at text,
  created_at_sent boolean not null default false,
  display_name text,
  display_name_sent boolean not null default false,
  display_name_reasons text[],
  -- Set at the commit for a legacy id the transaction changes more than once.
  repeated boolean not null default false
);
