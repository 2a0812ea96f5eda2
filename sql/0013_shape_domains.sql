-- The shapes of a username and of a public ID, checked where a value is written (an insert, a
-- rename), no longer on every update of an account. PostgreSQL checks a table's CHECK constraints
-- on every updated row, whatever the update sets: the two regular-expression checks cost about
-- 1.8 µs of an in-place display-name update's 10 (1,000,000 spooled updates on one connection:
-- 10.2-10.4 s with them, 8.4-8.6 s without). A domain's constraint is checked when a value is
-- coerced to the domain, which an update of other columns never does. Same expressions, same
-- constraint names, same SQLSTATE (23514) for a refused value.
--
-- Cheap on a large table: the columns change to a domain without constraints (a relabel: no
-- rewrite, no index rebuilt) after the table's two checks are dropped (a check on a column whose
-- type changes is re-validated by a scan), then the domains get the checks, NOT VALID: every
-- stored value passed the same check, which this transaction dropped, and nothing else can write
-- the table meanwhile.
create domain identity.username as text collate "C";
create domain identity.public_id as text collate "C";

alter table identity.accounts
  drop constraint accounts_username_shape,
  drop constraint accounts_public_id_shape;

-- The immutability trigger names public_id among its columns, so it goes while the type changes.
drop trigger accounts_identity_immutable on identity.accounts;
alter table identity.accounts
  alter column username type identity.username,
  alter column public_id type identity.public_id;
create trigger accounts_identity_immutable
  before update of public_id, legacy_id on identity.accounts
  for each row execute function identity.refuse_identity_change();

alter domain identity.username add constraint accounts_username_shape
  check (
    value ~ '^[a-z0-9]+([._][a-z0-9]+)*$'
    and char_length(value) between 3 and 30
    and value !~ '^[0-9]+$'
  ) not valid;
alter domain identity.public_id add constraint accounts_public_id_shape
  check (value ~ '^[6789BCDFGHJKLMNPQRTWbcdfghjkmnpqrtwz]{16}$') not valid;
