/**
 * Logs carry no personal data (issue 13, item 14): the CLI's snapshot and the streaming daemon, at
 * LOG_LEVEL=info, over legacy users whose usernames, e-mail addresses and display names are known
 * and distinctive, through inserts, renames, refused names, a dead letter, deletes and two failures
 * whose PostgreSQL errors carry those values in their `detail`: no log line holds any of them,
 * while the failures are still logged with their SQLSTATE.
 */
import assert from "node:assert/strict";
import { runCli, snapshotEnv } from "./support/snapshot_fixture.ts";
import { createTestDatabase, type TestDatabase, withClient } from "./support/test_database.ts";
import { waitFor } from "./support/wait_for.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

/** Six consonants: a token no log line holds by chance, and no word the name policy refuses. */
function token(): string {
  const letters = "bcdfghjkmnpqrstvwxz";
  return Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => letters[b % 19]).join("");
}

async function sql(db: TestDatabase, text: string, values: unknown[] = []) {
  return await withClient(db.url, (client) => client.query(text, values));
}

/** A trigger on identity.accounts that fails writes of `legacyId` as `sqlstate`, row values in DETAIL. */
async function failWrites(db: TestDatabase, legacyId: string, sqlstate: string): Promise<void> {
  await sql(
    db,
    `create or replace function test_fail_writes() returns trigger language plpgsql as $$
     begin
       if new.legacy_id = '${legacyId}' then
         raise exception 'refused by a test trigger'
           using errcode = '${sqlstate}',
                 detail = format('Key (username)=(%s) already exists; row (%s, %s).',
                                 new.username, new.legacy_username, new.display_name);
       end if;
       return new;
     end $$`,
  );
  await sql(
    db,
    `create trigger test_fail before insert or update on identity.accounts
     for each row execute function test_fail_writes()`,
  );
}

async function stopFailing(db: TestDatabase): Promise<void> {
  await sql(db, "drop trigger test_fail on identity.accounts");
}

/** Collects a stream's text as it comes. */
function collect(stream: ReadableStream<Uint8Array>): { text: string; done: Promise<void> } {
  const sink = { text: "", done: Promise.resolve() };
  sink.done = (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) sink.text += chunk;
  })();
  return sink;
}

Deno.test("snapshot and stream logs at LOG_LEVEL=info hold no username, e-mail address or display name", async () => {
  await using db = await createTestDatabase();
  const t = token();
  const T = t.toUpperCase();
  const email = (local: string) => `${local}.${t}@post-${t}.example`;
  const protectedName = `brixtonvale${t}`;
  // id, username, display name, e-mail, created_at (legacy wall-clock time, read in New York).
  const legacyRows: [number, string, string, string, string][] = [
    [1, `Wisteria_${t}`, `Ottoline ${T}`, email("ottoline"), "2010-01-01 10:00:00"],
    [2, `clementine_${t}`, `Clementine Older ${T}`, email("clem"), "2011-01-01 10:00:00"],
    [3, `Clementine_${t}`, `Clementine Younger ${T}`, email("clementine"), "2012-01-01 10:00:00"],
    [4, email("hollis"), `Hollis ${T}`, email("hollis.alt"), "2013-01-01 10:00:00"],
    [5, `official_${protectedName}`, `Brixton ${T}`, email("brixton"), "2014-01-01 10:00:00"],
    [6, `Marigold_${t}`, `Marigold ${T}`, email("marigold"), "2015-01-01 10:00:00"],
    [7, `Juniper_${t}`, `Juniper ${T}`, email("juniper"), "2016-01-01 10:00:00"],
  ];
  const streamed = {
    failing: [20, `Fenwick_${t}`, `Fenwick ${T}`, email("fenwick")] as const,
    rename: `Larkspur_${t}`,
    renamedDisplay: `Rosalind ${T}`,
    renamedEmail: email("rosalind"),
    emailShaped: [22, email("quince"), `Quince ${T}`, email("quince.alt")] as const,
    // Out of range once read in New York: a dead letter.
    deadLetter: [23, `Tamsin_${t}`, `Tamsin ${T}`, email("tamsin")] as const,
  };
  const secrets = [
    ...legacyRows.flatMap(([, username, display, mail]) => [username, display, mail]),
    protectedName,
    ...streamed.failing.slice(1),
    streamed.rename,
    streamed.renamedDisplay,
    streamed.renamedEmail,
    ...streamed.emailShaped.slice(1),
    ...streamed.deadLetter.slice(1),
  ] as string[];

  await sql(
    db,
    `create table users (id bigint primary key, username text, display_name text, email text,
                         created_at timestamp)`,
  );
  for (const row of legacyRows) await sql(db, "insert into users values ($1, $2, $3, $4, $5)", row);
  const env = {
    LOG_LEVEL: "info",
    PROTECTED_NAMES: protectedName,
    LEGACY_TIMEZONE: "America/New_York",
    HEARTBEAT_SECONDS: "1",
    SYNC_BATCH_MS: "20",
  };
  const logs: string[] = [];
  const cli = async (args: string[]) => {
    const result = await runCli(db, args, env);
    logs.push(result.stdout, result.stderr);
    return result;
  };

  assert.equal((await cli(["migrate"])).code, 0);
  // The snapshot's load fails on a unique violation whose DETAIL names the account.
  await failWrites(db, "1", "23505");
  const failed = await cli(["snapshot"]);
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stderr, /refused by a test trigger \(SQLSTATE 23505\)/);
  await stopFailing(db);
  const snapshot = await cli(["snapshot"]);
  assert.equal(snapshot.code, 0, snapshot.stderr);

  // A batch of the stream fails (not the change's fault: retried, not a dead letter), then passes.
  await failWrites(db, "20", "55P03");
  const daemon = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "sync"],
    env: snapshotEnv(db, env),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = collect(daemon.stdout);
  const stderr = collect(daemon.stderr);
  try {
    await waitFor("streaming", () => Promise.resolve(stderr.text.includes('"phase":"streaming"')));
    await sql(db, "insert into users values ($1, $2, $3, $4, '2020-06-01 12:00:00')", [
      ...streamed.failing,
    ]);
    await waitFor(
      "the failed batch in the log",
      () => Promise.resolve(stderr.text.includes("refused by a test trigger")),
    );
    await stopFailing(db);
    await sql(db, "update users set username = $1, display_name = $2, email = $3 where id = 1", [
      streamed.rename,
      streamed.renamedDisplay,
      streamed.renamedEmail,
    ]);
    // Refused: a name another account has, and a look-alike of a protected name.
    await sql(db, "update users set username = $1 where id = 7", [streamed.rename]);
    await sql(db, "update users set username = $1 where id = 2", [`official_${protectedName}`]);
    await sql(db, "insert into users values ($1, $2, $3, $4, '2020-06-01 12:00:00')", [
      ...streamed.emailShaped,
    ]);
    await sql(db, "insert into users values ($1, $2, $3, $4, '294276-12-31 23:00:00')", [
      ...streamed.deadLetter,
    ]);
    await sql(db, "delete from users where id = 6");
    await waitFor("the stream to apply every change", async () => {
      const { rows } = await sql(
        db,
        `select (select count(*)::int from identity.accounts
                 where legacy_id in ('20', '22') or (legacy_id = '6' and status = 'deleted')
                   or (legacy_id = '1' and username = lower($1))) as applied,
                (select count(*)::int from identity.dead_letters where legacy_id = '23') as dead`,
        [streamed.rename],
      );
      return rows[0].applied === 4 && rows[0].dead === 1;
    });
  } finally {
    daemon.kill("SIGTERM");
    await daemon.status;
    await Promise.all([stdout.done, stderr.done]);
    logs.push(stdout.text, stderr.text);
  }

  const lines = logs.join("\n").split("\n").filter((line) => line.trim() !== "");
  const leaks = lines.flatMap((line) =>
    secrets.filter((secret) => line.toLowerCase().includes(secret.toLowerCase()))
      .map((secret) => `${secret} in ${line}`)
  );
  assert.deepEqual(leaks, []);
  // The runs were logged, failures included, with what operators need.
  assert.ok(lines.some((line) => line.includes("applied") && line.includes('"deadLettered":1')));
  assert.ok(
    lines.some((line) => line.includes("stream failed") && line.includes("SQLSTATE 55P03")),
  );
});
