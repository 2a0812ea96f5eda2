/**
 * `deno task test`: format, lint and type checks, then the whole test suite
 * against real PostgreSQL servers this script starts (18, then 14 for the
 * integration tests), then the policy coverage gate (each file of src/policy/). Ends with one line,
 * `N passed, N failed`, and a non-zero exit code on any failure.
 *
 * `TEST_DATABASE_URL` runs everything once against that server instead;
 * `TEST_PG_MAJORS=18` limits the majors; arguments narrow `deno test`
 * (e.g. `deno task test tests/migrate_test.ts`) and skip the checks.
 */
import { type Major, startTestServer, SUPPORTED_MAJORS } from "./support/test_server.ts";

const POLICY_COVERAGE_THRESHOLD = 95;
/** A test pass that runs longer than this is stuck: it is stopped and counted as failed. */
const PASS_TIMEOUT_MINUTES = 16;
const COVERAGE_DIR = "coverage";

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
  for (const [index, major] of majors.entries()) {
    if (!SUPPORTED_MAJORS.includes(major)) {
      throw new RangeError(
        `Cannot run the suite: TEST_PG_MAJORS names ${major}, not one of 18, 14`,
      );
    }
    const server = await startTestServer(major);
    try {
      // Unit tests (and the alert rules' promtool tests) do not depend on the server: they run
      // once, with the first major.
      const paths = narrowed ? Deno.args : index === 0 ? ["src/", "ops/", "tests/"] : ["tests/"];
      await testRun(`PostgreSQL ${major}`, server.url, paths, index === 0, {
        TEST_PG_MAJOR: `${major}`,
      });
    } finally {
      await server.stop();
    }
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
): Promise<void> {
  console.log(`\n== tests on ${label}`);
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
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-262_144);
  }
  const status = await child.status;
  clearTimeout(timer);
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
