-- The legacy username as read (cut one past the policy's limit), so that a snapshot over existing
-- accounts (the recovery from a lost slot) can apply to them, through the stream's own apply
-- path, what changed on the legacy side while no slot streamed.
alter table identity.snapshot_rows add column username text;
