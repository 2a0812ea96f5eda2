-- Which protected name a refused candidate resembled (`adm1n` → `admin`), so that support can
-- explain a PROTECTED_LOOKALIKE decision. Staged per legacy row by the snapshot, written per
-- report row by the snapshot's load and by the stream. Null when no protected name was the reason.
alter table identity.migration_report add column if not exists resembles text;
alter table identity.snapshot_rows add column if not exists resembles text;

comment on column identity.migration_report.resembles is
  'the protected name the candidate was a look-alike of (reason PROTECTED_LOOKALIKE); null otherwise';
