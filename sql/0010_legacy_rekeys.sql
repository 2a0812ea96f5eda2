-- A legacy primary-key change (`update users set id = …`) is the same person under a new key: the
-- account keeps its public ID, username and history, and only its legacy_id moves. That is the one
-- change of legacy_id there is, and it goes through one path: identity.rekey_account writes the
-- audit row first, and the immutability trigger lets legacy_id change only when that row exists.
create table identity.legacy_rekeys (
  rekey_id bigint generated always as identity primary key,
  account_id bigint not null references identity.accounts (account_id),
  old_legacy_id text collate "C" not null,
  new_legacy_id text collate "C" not null,
  source text not null
    constraint legacy_rekeys_source_known check (source in ('stream', 'snapshot')),
  source_lsn pg_lsn,
  rekeyed_at timestamptz not null default now(),
  constraint legacy_rekeys_moves check (old_legacy_id <> new_legacy_id)
);

create index legacy_rekeys_account_idx on identity.legacy_rekeys (account_id, rekey_id);

comment on table identity.legacy_rekeys is
  'every change of an account''s legacy_id: a legacy primary-key change, audited; the account keeps its public ID and username';

create or replace function identity.refuse_identity_change() returns trigger
language plpgsql as $$
begin
  if new.public_id is distinct from old.public_id then
    raise exception 'public_id is immutable: account % cannot change % to %',
      old.account_id, old.public_id, new.public_id
      using errcode = 'integrity_constraint_violation';
  end if;
  if new.legacy_id is distinct from old.legacy_id and not exists (
    select 1 from identity.legacy_rekeys r
    where r.account_id = old.account_id and r.old_legacy_id = old.legacy_id
      and r.new_legacy_id = new.legacy_id and r.rekeyed_at = now()
  ) then
    raise exception 'legacy_id is immutable: account % cannot change % to % (a legacy re-key goes through identity.rekey_account)',
      old.account_id, old.legacy_id, new.legacy_id
      using errcode = 'integrity_constraint_violation';
  end if;
  return new;
end
$$;

-- Moves the account of legacy id `old_id` to `new_id`, with its report rows (they are keyed by
-- legacy id), and records the move. Refuses when `old_id` has no account or `new_id` has one.
create function identity.rekey_account(
  old_id text, new_id text, source text, lsn pg_lsn
) returns bigint
language plpgsql as $$
declare
  moved bigint;
  occupant bigint;
begin
  select account_id into moved from identity.accounts where legacy_id = old_id for update;
  if moved is null then
    raise exception 'cannot re-key legacy id % to %: it has no account', old_id, new_id
      using errcode = 'integrity_constraint_violation';
  end if;
  select account_id into occupant from identity.accounts where legacy_id = new_id;
  if occupant is not null then
    raise exception 'cannot re-key legacy id % to %: account % already has legacy id %',
      old_id, new_id, occupant, new_id
      using errcode = 'unique_violation';
  end if;
  insert into identity.legacy_rekeys (account_id, old_legacy_id, new_legacy_id, source, source_lsn)
  values (moved, old_id, new_id, source, lsn);
  update identity.accounts set legacy_id = new_id, updated_at = now() where account_id = moved;
  update identity.migration_report set legacy_id = new_id where legacy_id = old_id;
  return moved;
end
$$;
