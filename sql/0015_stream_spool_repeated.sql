-- What `repeated` now says, and when it is set. The daemon finds the legacy ids a streamed
-- transaction changes more than once as it spools the changes: it marks each change after an id's
-- first as it writes it, and the first ones at the commit, by one scan for the ids it found (none
-- when it found none). Only when it found too many to keep does it count them in the spool, after
-- analyzing it, as it did for every transaction before. Without that analyze the spool has no
-- statistics, and needs none: the shares read it by ranges of pages and join to the accounts by key.
comment on column identity.stream_spool.repeated is
  'The change''s legacy id (or the one it re-keys) may be changed more than once in its transaction: the in-place mirror leaves it to the plan. Set for each later change as it is spooled, and for the first at the commit; an id taken wrongly for repeated only sends its change through the plan.';
