-- The name each staged account will get, decided before any account is
-- written: winners of contested names first, then fallbacks. Accounts are
-- then loaded in one statement (into an empty table with its indexes built
-- after, as pg_restore does). Logged: a crash must not lose a decision.
create table identity.snapshot_names (
  slot_name text not null,
  username text collate "C" primary key,
  legacy_id text collate "C" not null,
  username_source text not null,
  skeleton text collate "C" not null,
  -- exact: the legacy value itself, no report; claimed: its candidate; fallback: another name
  decision text not null
    constraint snapshot_names_decision_known check (decision in ('exact', 'claimed', 'fallback')),
  reasons text[] not null
);

