/**
 * `deno task test`: format, lint and type checks, then the whole test suite against real
 * PostgreSQL servers this script starts (18, and 14 for the integration tests, side by side),
 * then the policy coverage gate on the unit tests' coverage (each file of src/policy/). Ends with
 * one line, `N passed, N failed`, and a non-zero exit code on any failure.
 *
 * `TEST_DATABASE_URL` runs everything once against that server instead;
 * `TEST_PG_MAJORS=18` limits the majors; arguments narrow `deno test`
 * (e.g. `deno task test tests/migrate_test.ts`) and skip the checks.
 */
import { type Major, startTestServer, SUPPORTED_MAJORS } from "./support/test_server.ts";

const POLICY_COVERAGE_THRESHOLD = 95;
/** A test pass that runs longer than this is stuck: it is stopped and counted as failed. */
const PASS_TIMEOUT_MINUTES = 20;
const COVERAGE_DIR = "coverage";
/** The unit tests, beside the code (a few of them use the test server too). */
const UNIT = ["src/", "ops/"];

interface Tally {
  passed: number;
  failed: number;
}

const tally: Tally = { passed: 0, failed: 0 };
const narrowed = Deno.args.length > 0;

if (!narrowed) {
  await check("format", ["fmt", "--check"]);
  await check("lint", ["lint"]);
  await check("type check", ["check", "mod.ts", "src/", "tests/", "bench/", "ops/"]);
}

const given = Deno.env.get("TEST_DATABASE_URL");
await Deno.remove(COVERAGE_DIR, { recursive: true }).catch(() => {});
if (given) {
  await testRun("given server", given, narrowed ? Deno.args : ["src/", "ops/", "tests/"], true);
} else {
  const majors = (Deno.env.get("TEST_PG_MAJORS") ?? SUPPORTED_MAJORS.join(","))
    .split(",").map((m) => Number(m.trim()) as Major);
  for (const major of majors) {
    if (!SUPPORTED_MAJORS.includes(major)) {
      throw new RangeError(
        `Cannot run the suite: TEST_PG_MAJORS names ${major}, not one of 18, 14`,
      );
    }
  }
  // Tests that measure latency under load run alone, after the passes, so that the other pass
  // does not share their cores.
  const alone = narrowed ? [] : await testFiles((name) => name.endsWith("_load_test.ts"));
  // Listed one by one: `deno test --ignore` is not applied when several folders are given.
  const together = await testFiles((name) => !alone.includes(`tests/${name}`));
  const pass = async (major: Major, index: number, live: boolean, paths?: string[]) => {
    const server = await startTestServer(major);
    try {
      // Unit tests (and the alert rules' promtool tests) run once, with the first major.
      const env = { TEST_PG_MAJOR: `${major}` };
      if (paths) {
        await testRun(`PostgreSQL ${major}, alone`, server.url, paths, false, env, live);
      } else if (narrowed) {
        await testRun(`PostgreSQL ${major}`, server.url, Deno.args, index === 0, env, live);
      } else {
        // The coverage gate reads the unit tests' coverage alone: instrumenting the integration
        // tests (and every daemon they start) would only slow them down.
        if (index === 0) {
          await testRun(`unit tests, PostgreSQL ${major}`, server.url, UNIT, true, env, live);
        }
        await testRun(`PostgreSQL ${major}`, server.url, together, false, env, live);
      }
    } finally {
      await server.stop();
    }
  };
  // The majors' passes run side by side, each on a server of its own (a slot's creation waits only
  // for its own server's transactions), so the suite takes the longer pass, not the sum; the first
  // pass prints as it goes, the others when they end. TEST_PASSES=serial runs one after another.
  if (Deno.env.get("TEST_PASSES") === "serial") {
    for (const [index, major] of majors.entries()) await pass(major, index, true);
  } else {
    await Promise.all(majors.map((major, index) => pass(major, index, index === 0)));
  }
  if (alone.length > 0) {
    for (const [index, major] of majors.entries()) await pass(major, index, true, alone);
  }
}

if (!narrowed) {
  await dropUnreadableCoverage();
  await checkPolicyCoverage();
}

console.log(`${tally.passed} passed, ${tally.failed} failed`);
Deno.exit(tally.failed === 0 ? 0 : 1);

/**
 * Removes coverage files that are not whole JSON: the daemons the crash and fault tests SIGKILL
 * inherit the coverage folder and can die halfway through writing one, which would make
 * `deno coverage` refuse the whole folder. Says how many it removed.
 */
async function dropUnreadableCoverage(): Promise<void> {
  const dropped: string[] = [];
  for await (const entry of Deno.readDir(COVERAGE_DIR)) {
    if (!entry.isFile || !entry.name.endsWith(".json")) continue;
    const path = `${COVERAGE_DIR}/${entry.name}`;
    try {
      JSON.parse(await Deno.readTextFile(path));
    } catch {
      dropped.push(entry.name);
      await Deno.remove(path);
    }
  }
  if (dropped.length > 0) {
    console.log(
      `\n== coverage: left out ${dropped.length} partly written file(s) of killed processes`,
    );
  }
}

/**
 * The policy coverage gate, file by file: every file of `src/policy/` (test fixtures left out)
 * has at least `POLICY_COVERAGE_THRESHOLD` % of its lines covered. One check: a report that
 * cannot be read or lists no file fails it too.
 */
async function checkPolicyCoverage(): Promise<void> {
  const label = `policy line coverage >= ${POLICY_COVERAGE_THRESHOLD}% in every file`;
  console.log(`\n== ${label}`);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["coverage", COVERAGE_DIR, "--include=src/policy/", "--exclude=src/policy/testdata/"],
    env: { NO_COLOR: "1" },
  }).output();
  const report = new TextDecoder().decode(output.stdout);
  const files = [...report.matchAll(/^\|\s*(\S+\.ts)\s*\|[^|]*\|[^|]*\|\s*([0-9.]+)\s*\|$/gm)]
    .map(([, file, line]) => ({ file: file!, line: Number(line) }));
  const below = files.filter(({ line }) => line < POLICY_COVERAGE_THRESHOLD);
  for (const { file, line } of below) console.log(`   ${file}: ${line}% of lines`);
  const ok = output.success && files.length > 0 && below.length === 0;
  if (!output.success || files.length === 0) {
    console.log(new TextDecoder().decode(output.stderr) || "   no file in the coverage report");
  }
  if (ok) tally.passed++;
  else tally.failed++;
  console.log(`== ${label}: ${ok ? `ok (${files.length} files)` : "FAILED"}`);
}

/** The test files of `tests/` whose name `wanted` takes, in order. */
async function testFiles(wanted: (name: string) => boolean): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir("tests")) {
    if (entry.isFile && entry.name.endsWith("_test.ts") && wanted(entry.name)) {
      files.push(`tests/${entry.name}`);
    }
  }
  return files.sort();
}

/** Runs a `deno` subcommand that counts as one passed or failed check. */
async function check(label: string, args: string[]): Promise<void> {
  console.log(`\n== ${label}: deno ${args.join(" ")}`);
  const status = await new Deno.Command(Deno.execPath(), { args }).spawn().status;
  if (status.success) tally.passed++;
  else tally.failed++;
  console.log(`== ${label}: ${status.success ? "ok" : "FAILED"}`);
}

/** Runs `deno test` against the server at `url` and adds its counts to the tally. */
async function testRun(
  label: string,
  url: string,
  paths: string[],
  coverage: boolean,
  env: Record<string, string> = {},
  live = true,
): Promise<void> {
  const header = `\n== tests on ${label}`;
  if (live) console.log(header);
  // One test file at a time: logical slot creation waits for every running transaction on
  // the server, so files creating slots side by side can stall each other.
  const args = ["test", "-A", ...(coverage ? [`--coverage=${COVERAGE_DIR}`] : [])];
  const child = new Deno.Command(Deno.execPath(), {
    args: [...args, ...paths],
    env: { ...env, TEST_DATABASE_URL: url, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  // A stuck test must fail the run, not hang it.
  const timer = setTimeout(() => {
    console.log(
      `== tests on ${label}: still running after ${PASS_TIMEOUT_MINUTES} minutes; stopping`,
    );
    child.kill("SIGKILL");
  }, PASS_TIMEOUT_MINUTES * 60_000);
  let tail = "";
  const decoder = new TextDecoder();
  const held: Uint8Array[] = [];
  for await (const chunk of child.stdout) {
    if (live) await Deno.stdout.write(chunk);
    else held.push(chunk);
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-262_144);
  }
  const status = await child.status;
  clearTimeout(timer);
  if (!live) {
    console.log(header);
    for (const chunk of held) await Deno.stdout.write(chunk);
  }
  const summaries = [...tail.matchAll(/(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/g)];
  const summary = summaries.at(-1);
  if (!summary) {
    // deno test stopped before it could report (e.g. a module failed to load).
    tally.failed++;
    console.log(`== tests on ${label}: no summary, exit code ${status.code}`);
    return;
  }
  tally.passed += Number(summary[1]);
  tally.failed += Number(summary[2]);
  if (!status.success && Number(summary[2]) === 0) tally.failed++;
}
