/**
 * The account API under abuse (issue 14, item 4): `deno task serve` in a process of its own, on
 * loopback, with anonymous name checks sent at `LOAD_CHECKS_PER_SECOND` for `LOAD_SECONDS` while
 * sign-ups go on at a steady rate. The per-address rate limit is opened wide, as a flood from many
 * addresses would find it: what holds is the admission gate. Sign-ups keep succeeding fast, no
 * answer is a 500, every shed read carries `Retry-After`, the server's memory stays bounded.
 */
import assert from "node:assert/strict";
import { snapshotEnv } from "./support/snapshot_fixture.ts";
import { createTestDatabase } from "./support/test_database.ts";
import { freePort } from "./support/test_server.ts";
import { waitFor } from "./support/wait_for.ts";
import { TOKEN } from "./support/account_api.ts";
import type { FloodPlan, FloodResult } from "./support/check_flood.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;
const FLOOD = new URL("./support/check_flood.ts", import.meta.url).pathname;
const CHECKS_PER_SECOND = Number(Deno.env.get("LOAD_CHECKS_PER_SECOND") ?? 2_000);
const SECONDS = Number(Deno.env.get("LOAD_SECONDS") ?? 20);
const SIGN_UPS_PER_SECOND = 20;
/** Checks the generator keeps in flight at most: past it, it counts what it could not send. */
const MAX_OUTSTANDING = 512;

const SIGN_UP_P99_MS = 250;
const PEAK_RSS_MB = 300;

/** The V8 flags `deno task serve` runs with, if any. */
async function serveTaskArgs(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const task = config.tasks.serve;
  const command: string = typeof task === "string" ? task : task.command;
  return command.split(/\s+/).filter((arg) => arg.startsWith("--v8-flags="));
}

/** The process's peak resident set (VmHWM) in MB, from /proc. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]);
  assert.ok(kb > 0, "VmHWM is readable");
  return kb / 1_024;
}

/** User + system CPU seconds of a process so far, from /proc (clock ticks of 1/100 s). */
function cpuSeconds(pid: number | "self"): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

Deno.test({
  name:
    "under a flood of anonymous checks, sign-ups keep succeeding fast, nothing fails with 500, shed reads say Retry-After, memory stays bounded",
  // Fetch keeps idle keep-alive connections a moment after the flood.
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await using db = await createTestDatabase();
  const opsPort = freePort();
  const apiPort = freePort();
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...await serveTaskArgs(), MAIN, "serve"],
    env: snapshotEnv(db, {
      OPS_HTTP_PORT: String(opsPort),
      API_HTTP_PORT: String(apiPort),
      API_TOKEN: TOKEN,
      USERNAME_CHECK_RATE: "100000",
      USERNAME_CHECK_BURST: "1000000",
    }),
    stdout: "null",
    stderr: "null",
  }).spawn();
  const base = `http://127.0.0.1:${apiPort}`;
  try {
    await waitFor("the API to answer", async () => {
      try {
        const response = await fetch(`${base}/openapi.json`);
        await response.body?.cancel();
        return response.ok ? true : undefined;
      } catch {
        return undefined;
      }
    });

    const serverCpuBefore = cpuSeconds(server.pid);
    const ownCpuBefore = cpuSeconds("self");
    const plan: FloodPlan = {
      port: apiPort,
      perSecond: CHECKS_PER_SECOND,
      seconds: SECONDS,
      maxOutstanding: MAX_OUTSTANDING,
    };
    // Niced: the flood stands for clients elsewhere, not for work on the server's machine.
    const generator = new Deno.Command("nice", {
      args: ["-n", "10", Deno.execPath(), "run", "-A", FLOOD, JSON.stringify(plan)],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const flooded = generator.output().then((output) => {
      assert.equal(output.code, 0, "the flood generator ran to its end");
      return JSON.parse(new TextDecoder().decode(output.stdout)) as FloodResult;
    });

    // Sign-ups on a steady schedule on this thread, each timed from send to answer.
    const signUpLatencies: number[] = [];
    const signUpStatuses: Record<number, number> = {};
    const signUp = async (i: number) => {
      const started = performance.now();
      const response = await fetch(`${base}/v1/accounts`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ username: `new_member_${i}` }),
      });
      await response.body?.cancel();
      signUpLatencies.push(performance.now() - started);
      signUpStatuses[response.status] = (signUpStatuses[response.status] ?? 0) + 1;
    };
    const signUps: Promise<void>[] = [];
    const started = performance.now();
    let signUpsSent = 0;
    while (performance.now() - started < SECONDS * 1_000) {
      const due = Math.floor((performance.now() - started) / 1_000 * SIGN_UPS_PER_SECOND);
      for (; signUpsSent < due; signUpsSent++) signUps.push(signUp(signUpsSent));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all(signUps);
    const result = await flooded;
    const serverCpu = cpuSeconds(server.pid) - serverCpuBefore;
    const ownCpu = cpuSeconds("self") - ownCpuBefore;
    const rssMb = await peakRssMb(server.pid);
    const statuses = result.statuses;
    const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
    const sorted = signUpLatencies.toSorted((a, b) => a - b);
    const figures = {
      checks_per_second_asked: CHECKS_PER_SECOND,
      checks_answered_per_second: Math.round(answered / result.seconds),
      checks_not_sent_generator_full: result.notSent,
      check_statuses: statuses,
      client_errors: result.clientErrors,
      sign_ups: signUpLatencies.length,
      sign_up_statuses: signUpStatuses,
      sign_up_p50_ms: Math.round(percentile(sorted, 50)),
      sign_up_p99_ms: Math.round(percentile(sorted, 99)),
      sign_up_max_ms: Math.round(sorted.at(-1)!),
      server_peak_rss_mb: Math.round(rssMb),
      server_cpu_seconds: serverCpu,
      generator_cpu_seconds: result.cpuSeconds,
      sign_up_thread_cpu_seconds: ownCpu,
    };
    console.log(JSON.stringify(figures));

    assert.equal(statuses[500] ?? 0, 0, "no check failed with 500");
    assert.deepEqual(
      Object.keys(statuses).filter((s) => s !== "200" && s !== "503"),
      [],
      "a check is answered or shed",
    );
    assert.ok((statuses[503] ?? 0) > 0, "the flood was more than the API takes: reads were shed");
    assert.equal(result.shedWithoutRetryAfter, 0, "every shed check says when to come back");
    assert.equal(result.clientErrors, 0, "no connection was refused or cut");
    assert.deepEqual(signUpStatuses, { 201: signUpsSent }, "every sign-up succeeded");
    assert.ok(signUpsSent >= SIGN_UPS_PER_SECOND * SECONDS * 0.9);
    assert.ok(
      percentile(sorted, 99) < SIGN_UP_P99_MS,
      `sign-up p99 ${percentile(sorted, 99)} ms`,
    );
    assert.ok(rssMb < PEAK_RSS_MB, `peak RSS ${rssMb} MB`);
    // The load was real: at least half the asked rate was answered (the figures say how much).
    assert.ok(answered >= CHECKS_PER_SECOND * SECONDS * 0.5, `${answered} checks answered`);
  } finally {
    server.kill("SIGTERM");
    await server.status;
  }
});
