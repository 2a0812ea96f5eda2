/** A fresh database per test file, on the server the suite started. */
import { withClient } from "../../src/db/sessions.ts";

/** A database of its own for one test file; dropped on dispose. */
export interface TestDatabase extends AsyncDisposable {
  /** URL of the fresh database. */
  readonly url: string;
  /** URL of the server's `postgres` database. */
  readonly serverUrl: string;
  /** Name of the fresh database. */
  readonly name: string;
}

/** The server the suite started (`deno task test`), or the one TEST_DATABASE_URL names. */
export function testServerUrl(): string {
  const url = Deno.env.get("TEST_DATABASE_URL");
  if (!url) {
    throw new Error(
      "Cannot run integration tests: TEST_DATABASE_URL is not set; run them through `deno task test`, which starts PostgreSQL, or point TEST_DATABASE_URL at a server",
    );
  }
  return url;
}

/** The major version of the server the tests run against. */
export async function serverMajor(url: string = testServerUrl()): Promise<number> {
  return await withClient(url, async (client) => {
    const { rows } = await client.query<{ v: string }>(
      "select current_setting('server_version_num') as v",
    );
    return Math.floor(Number(rows[0]!.v) / 10_000);
  });
}

/** Creates an empty database on the test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = testServerUrl();
  const name = `test_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
  await withClient(serverUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    serverUrl,
    name,
    [Symbol.asyncDispose]: async () => {
      await withClient(serverUrl, async (client) => {
        // Slots are per server and block dropping their database; free them first. A
        // terminated walsender takes a moment to let go of its slot: retry until it has.
        for (let attempt = 0;; attempt++) {
          await client.query(
            `select pg_terminate_backend(active_pid) from pg_replication_slots
             where database = $1 and active_pid is not null`,
            [name],
          );
          try {
            await client.query(
              `select pg_drop_replication_slot(slot_name) from pg_replication_slots
               where database = $1`,
              [name],
            );
            break;
          } catch (error) {
            // 55006: the slot is still active.
            if ((error as { code?: string }).code !== "55006" || attempt >= 100) throw error;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        await client.query(`drop database ${name} with (force)`);
      });
    },
  };
}

export { withClient } from "../../src/db/sessions.ts";

/**
 * A server of a test's own, used whole as its database (its `postgres` database; `name` names
 * the slot and publication). The test stops the server; disposing does nothing.
 */
export function ownServerDatabase(url: string, name: string): TestDatabase {
  return { url, serverUrl: url, name, [Symbol.asyncDispose]: () => Promise.resolve() };
}
