-- The legacy database of compose.yaml, run once by the postgres image on an empty data directory.
--
-- A `users` table as the legacy system has it (the columns the daemon reads by default: id,
-- username, created_at, display_name), a few users with the mess the username policy is for and a
-- few thousand plain ones with contested names; then what the daemons need and nothing more: a
-- role with REPLICATION that may read the table, and the publication. The daemon would create the
-- publication itself, but only a table's owner may publish it, and the daemons do not own it.

create table public.users (
  id bigint primary key,
  username text,
  created_at timestamptz,
  display_name text,
  email text
);

insert into public.users (id, username, created_at, display_name, email) values
  (1, 'ada_lovelace', '2015-03-01 09:00+00', 'Ada Lovelace', 'ada@example.com'),
  (2, 'Ada.Lovelace', '2016-07-14 18:30+00', 'Ada', 'ada.l@example.com'),
  (3, 'admin', '2015-01-02 00:00+00', 'The Admin', 'admin@example.com'),
  (4, E'\u0430dmin', '2019-11-05 12:00+00', 'Not the admin', 'cyrillic-a@example.com'), -- a Cyrillic а
  (5, 'Jürgen Groß', '2017-02-28 08:15+00', 'Jürgen', 'juergen@example.com'),
  (6, 'ｆｕｌｌｗｉｄｔｈ', '2018-04-01 10:00+00', NULL, 'fullwidth@example.com'),
  (7, E'zero\u200Bwidth', '2020-06-06 06:06+00', 'Zero width', 'zw@example.com'), -- a zero-width space
  (8, '12345', '2016-12-12 12:12+00', 'Digits', 'digits@example.com'),
  (9, 'x', '2021-01-01 00:00+00', 'X', 'x@example.com'),
  (10, '', '2021-01-02 00:00+00', 'Empty name', 'empty@example.com'),
  (11, NULL, '2021-01-03 00:00+00', 'No name', 'none@example.com'),
  (12, 'alice@example.com', '2022-05-05 05:05+00', 'Alice', 'alice@example.com'),
  (13, 'the_quick_brown_fox_jumps_over_the_lazy_dog', '2022-08-08 08:08+00', 'Fox', NULL),
  (14, '王小明', '2023-03-03 03:03+00', '王小明', 'wang@example.com');

-- 5,000 more, seven to a name (20 first names times 36 last names): one of each seven keeps it.
insert into public.users (id, username, created_at, display_name, email)
select i, first || '_' || last, timestamptz '2015-01-01 00:00+00' + i * interval '17 hours',
       initcap(first) || ' ' || initcap(last), first || '.' || last || i || '@example.com'
from generate_series(100, 5099) as i,
  lateral (select (array['anna', 'ben', 'chloe', 'david', 'emma', 'felix', 'grace', 'hugo',
                         'iris', 'jonas', 'kim', 'leo', 'maria', 'noah', 'olga', 'paul',
                         'rosa', 'sam', 'tara', 'victor'])[i % 20 + 1] as first,
                  (array['berg', 'costa', 'dubois', 'evans', 'fischer', 'garcia', 'hansen',
                         'ivanova', 'jensen', 'kowalski', 'lopez', 'martin', 'nakamura', 'novak',
                         'olsen', 'petrov', 'quinn', 'rossi', 'schmidt', 'silva', 'smith', 'tanaka',
                         'torres', 'ueda', 'vogel', 'wagner', 'walker', 'weber', 'white', 'wong',
                         'yamada', 'young', 'zhang', 'ziegler', 'zimmer', 'zola'])[i / 20 % 36 + 1]
                    as last) as name;

create role identity_sync login replication password 'identity_sync';
grant select on public.users to identity_sync;

create publication identity_sync for table public.users;
