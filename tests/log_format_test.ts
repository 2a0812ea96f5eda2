/**
 * Logs read at a terminal and parse everywhere else (issue 14, item 7): human lines when stderr is
 * a terminal, JSON lines when it is not, and `LOG_FORMAT` forcing either.
 */
import assert from "node:assert/strict";
import { snapshotEnv } from "./support/snapshot_fixture.ts";
import { createTestDatabase } from "./support/test_database.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;
/** What a human line starts with on a terminal: a carriage return and "erase the line". */
const CLEAR_LINE = "\r\u001b[2K";
const PRETTY = /^\d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|FATAL) [a-z.]+: \S/;

async function migrateLogs(env: Record<string, string>): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "migrate"],
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0);
  return new TextDecoder().decode(output.stderr).split("\n").filter((line) => line !== "");
}

function isJson(line: string): boolean {
  try {
    return typeof JSON.parse(line) === "object";
  } catch {
    return false;
  }
}

Deno.test("logs are JSON lines off a terminal and human lines with LOG_FORMAT=pretty", async () => {
  await using db = await createTestDatabase();
  const env = snapshotEnv(db, { LOG_LEVEL: "info" });

  const json = await migrateLogs(env);
  assert.ok(json.length > 0);
  for (const line of json) assert.ok(isJson(line), line);
  assert.equal(JSON.parse(json[0]!).logger, "identity-sync.migrate");

  const pretty = await migrateLogs({ ...env, LOG_FORMAT: "pretty" });
  assert.ok(pretty.length > 0);
  for (const line of pretty) assert.match(line, PRETTY);
  assert.match(pretty.join("\n"), /INFO migrate: migrations applied/);
});

const script = await Deno.stat("/usr/bin/script").then(() => true, () => false);

Deno.test({
  name: "on a terminal, logs are human lines unless LOG_FORMAT=json",
  // util-linux `script` gives the command a pseudo-terminal.
  ignore: !script,
}, async () => {
  await using db = await createTestDatabase();
  const onTerminal = async (env: Record<string, string>) => {
    const output = await new Deno.Command("/usr/bin/script", {
      args: ["-qec", `${Deno.execPath()} run -A ${MAIN} migrate`, "/dev/null"],
      env: snapshotEnv(db, { LOG_LEVEL: "info", ...env }),
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(output.code, 0);
    // The terminal shows stdout (the command's JSON report) and stderr (the logs) together.
    return new TextDecoder().decode(output.stdout).split(/\r?\n/)
      .map((line) => line.replace(CLEAR_LINE, ""))
      .filter((line) => line !== "" && !line.startsWith('{"command"'));
  };

  const human = await onTerminal({});
  assert.ok(human.length > 0);
  for (const line of human) assert.match(line, PRETTY);
  const forced = await onTerminal({ LOG_FORMAT: "json" });
  assert.ok(forced.length > 0);
  for (const line of forced) assert.ok(isJson(line), line);
});
