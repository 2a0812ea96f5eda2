-- The spool is never vacuumed for its inserts, nor analyzed automatically: its rows are deleted
-- once applied (the vacuum for those dead rows stays), and the daemon analyzes it itself at the
-- commit it applies, before it plans a statement on it. A million streamed changes otherwise woke
-- an insert vacuum and an analyze of rows about to be deleted, on the two cores the walsender,
-- the daemon and the spool's COPY share.
alter table identity.stream_spool set (
  autovacuum_vacuum_insert_threshold = -1,
  autovacuum_analyze_threshold = 2147483647
);
