-- The identity schema: the data contract of design.md. Table and column names
-- are relied on by tests, dashboards and operators' queries.

create schema if not exists identity;

-- One row per account, legacy or native. Rows are never deleted: a deleted
-- account is a tombstone, so its public ID can never be handed out again.
create table identity.accounts (
  account_id bigint generated always as identity primary key,
  legacy_id text collate "C" unique,
  public_id text collate "C" not null unique
    constraint accounts_public_id_shape
      check (public_id ~ '^[6789BCDFGHJKLMNPQRTWbcdfghjkmnpqrtwz]{16}$'),
  username text collate "C" not null unique
    constraint accounts_username_shape
      check (
        username ~ '^[a-z0-9]+([._][a-z0-9]+)*$'
        and char_length(username) between 3 and 30
        and username !~ '^[0-9]+$'
      ),
  username_skeleton text collate "C" not null,
  username_source text not null
    constraint accounts_username_source_known
      check (username_source in ('exact', 'normalized', 'derived', 'generated', 'requested')),
  display_name text,
  legacy_username text,
  status text not null default 'active'
    constraint accounts_status_known check (status in ('active', 'deleted')),
  legacy_created_at timestamptz,
  source_lsn pg_lsn,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index accounts_username_skeleton_idx on identity.accounts (username_skeleton);

comment on column identity.accounts.account_id is 'internal key; never exposed';
comment on column identity.accounts.public_id is 'opaque profile id (/u/{public_id}); written once, never updated, never reused';
comment on column identity.accounts.username_skeleton is 'UTS #39 confusable skeleton without separators; look-alike key, not unique';
comment on column identity.accounts.source_lsn is 'commit LSN of the last legacy transaction applied to this account; one byte before the consistent point for rows the snapshot read';
comment on column identity.accounts.legacy_username is 'the legacy username as last seen, escaped as in the report: tells a legacy rename from any other update';

-- The database itself refuses what must never happen, whoever writes.
create function identity.refuse_identity_change() returns trigger
language plpgsql as $$
begin
  if new.public_id is distinct from old.public_id then
    raise exception 'public_id is immutable: account % cannot change % to %',
      old.account_id, old.public_id, new.public_id
      using errcode = 'integrity_constraint_violation';
  end if;
  if new.legacy_id is distinct from old.legacy_id then
    raise exception 'legacy_id is immutable: account % cannot change % to %',
      old.account_id, old.legacy_id, new.legacy_id
      using errcode = 'integrity_constraint_violation';
  end if;
  return new;
end
$$;

create trigger accounts_identity_immutable
  before update of public_id, legacy_id on identity.accounts
  for each row execute function identity.refuse_identity_change();

create function identity.refuse_account_removal() returns trigger
language plpgsql as $$
begin
  raise exception 'accounts are never removed: set status = ''deleted'' instead, so the public ID is never reused'
    using errcode = 'integrity_constraint_violation';
end
$$;

create trigger accounts_never_deleted
  before delete on identity.accounts
  for each row execute function identity.refuse_account_removal();

create trigger accounts_never_truncated
  before truncate on identity.accounts
  for each statement execute function identity.refuse_account_removal();

-- Why an account's username is not its exact legacy value.
create table identity.migration_report (
  report_id bigint generated always as identity primary key,
  legacy_id text collate "C",
  raw_value text,
  tier text
    constraint migration_report_tier_known
      check (tier in ('exact', 'normalized', 'derived')),
  decision text not null,
  reasons text[] not null default '{}',
  username text collate "C",
  source text not null default 'snapshot'
    constraint migration_report_source_known check (source in ('snapshot', 'stream', 'api')),
  source_lsn pg_lsn,
  created_at timestamptz not null default now()
);

create index migration_report_legacy_id_idx on identity.migration_report (legacy_id);

comment on column identity.migration_report.raw_value is 'the legacy value, escaped: non-printable and non-ASCII code points as \uXXXX';
comment on column identity.migration_report.tier is 'tier of the best candidate; null when the value gave none';

-- Released names and until when nobody else may take them (null: forever).
create table identity.username_holds (
  username text collate "C" primary key,
  account_id bigint not null references identity.accounts (account_id),
  reason text not null
    constraint username_holds_reason_known check (reason in ('renamed', 'deleted', 'reserved')),
  held_until timestamptz,
  created_at timestamptz not null default now()
);

create index username_holds_held_until_idx on identity.username_holds (held_until);

-- Changes that could not be applied; the stream goes on without them.
create table identity.dead_letters (
  dead_letter_id bigint generated always as identity primary key,
  lsn pg_lsn,
  legacy_id text collate "C",
  operation text not null,
  payload jsonb not null,
  error text not null,
  attempts integer not null default 1,
  first_failed_at timestamptz not null default now(),
  last_failed_at timestamptz not null default now(),
  resolved_at timestamptz
);

create index dead_letters_unresolved_idx on identity.dead_letters (dead_letter_id)
  where resolved_at is null;

-- One row per replication slot: where the copy and the stream meet.
create table identity.sync_state (
  slot_name text primary key,
  publication_name text not null,
  legacy_table text not null,
  phase text not null default 'created'
    constraint sync_state_phase_known
      check (phase in ('created', 'snapshotting', 'snapshotted', 'streaming', 'failed')),
  snapshot_name text,
  consistent_point pg_lsn,
  last_applied_lsn pg_lsn,
  last_commit_time timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Key ranges of the snapshot, claimed by workers with FOR UPDATE SKIP LOCKED.
create table identity.snapshot_ranges (
  slot_name text not null references identity.sync_state (slot_name) on delete cascade,
  range_no integer not null,
  lower_key text,
  upper_key text,
  status text not null default 'pending'
    constraint snapshot_ranges_status_known check (status in ('pending', 'claimed', 'done')),
  claimed_by text,
  claimed_at timestamptz,
  finished_at timestamptz,
  rows_read bigint not null default 0,
  primary key (slot_name, range_no)
);

comment on column identity.snapshot_ranges.lower_key is 'inclusive lower bound of the legacy key, as text; null: unbounded';
comment on column identity.snapshot_ranges.upper_key is 'exclusive upper bound of the legacy key, as text; null: unbounded';
