-- Accounts born in the new system (legacy_id null) and their life: every username an account
-- leaves behind, whoever renamed it (the API or a legacy rename), kept for support and audits.
create table identity.username_history (
  history_id bigint generated always as identity primary key,
  account_id bigint not null references identity.accounts (account_id),
  old_username text collate "C" not null,
  new_username text collate "C" not null,
  source text not null
    constraint username_history_source_known check (source in ('api', 'legacy')),
  changed_at timestamptz not null default now()
);

create index username_history_account_idx on identity.username_history (account_id, changed_at);
