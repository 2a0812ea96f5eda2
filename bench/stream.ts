/**
 * `deno task bench:stream [--rows N] [--runs R] [--steady-seconds S]`: the sync daemon against
 * PostgreSQL's own logical replication and against raw decode, R times each on a fresh state (see
 * `stream_fixture.ts`): the legacy table on one PostgreSQL 18 server, the identity database and
 * the native subscriber's database on a second one.
 *
 * 1. Burst: one legacy transaction updating every row's display name, then applied after the fact
 *    by raw decode, the native subscription and the daemon, each timed to a marker committed after
 *    it (see `apply_after.ts`).
 * 2. Production mix: N changes in transactions of 1–1,000 (see `production_mix.ts`), committed
 *    first, then applied after the fact the same way.
 * 3. Steady: the production mix at 2,000 changes a second for S seconds, applied as it comes by
 *    the native subscription, then by the daemon; lag p50 and p99 of the mirrored changes.
 *
 * Prints each side's median and spread, CPU per change on each server and in the side's process,
 * the speed ratios of the medians, then one JSON line.
 */
import { parseArgs } from "node:util";
import { type AppliedAfter, applyAfterTheFact } from "./apply_after.ts";
import { DEFAULT_RUNS, positiveInteger } from "./bench_args.ts";
import { startBenchServers } from "./bench_servers.ts";
import { startDaemon } from "./daemon_process.ts";
import { commitMarker, waitForMarker } from "./marker.ts";
import { formatSpread, spread } from "./median.ts";
import { disableSubscription, enableSubscription } from "./native_peer.ts";
import { type MixCounts, runMix, totalChanges } from "./production_mix.ts";
import { createRawSlot, dropRawSlot } from "./raw_decode.ts";
import { kindsLine, sideJson, sideLine, speedRatio, summariseSide } from "./side_summary.ts";
import { type SteadyLag, steadyLoad } from "./steady_load.ts";
import { prepareStreamRun, type StreamFixture } from "./stream_fixture.ts";

const STEADY_CHANGES_PER_SECOND = 2_000;
const MIX_SEED = 0.25;
const STEADY_SEED = 0.5;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "1000000" },
    runs: { type: "string", default: DEFAULT_RUNS },
    "steady-seconds": { type: "string", default: "60" },
  },
});
const rows = positiveInteger("rows", values.rows);
const runs = positiveInteger("runs", values.runs);
const steadySeconds = positiveInteger("steady-seconds", values["steady-seconds"]);

await using servers = await startBenchServers();
const bursts: AppliedAfter[] = [];
const mixes: AppliedAfter[] = [];
let mixCounts: MixCounts | undefined;
const steady = { native: [] as SteadyLag[], daemon: [] as SteadyLag[] };
for (let run = 1; run <= runs; run++) {
  console.log(`run ${run}/${runs}: ${rows.toLocaleString("en")} legacy users, daemon snapshot…`);
  await using fixture = await prepareStreamRun(servers, rows);
  const { legacy } = fixture;

  await createRawSlot(servers.legacy.url);
  await legacy.query("update users set display_name = coalesce(display_name, '') || '+'");
  const burstMarker = await commitMarker(legacy, `burst ${run}`);
  bursts.push(await applyAfterTheFact(fixture, burstMarker, rows));
  await dropRawSlot(servers.legacy.url);
  console.log(`  burst: ${sideTimes(bursts.at(-1)!)}`);
  // Clear the burst's dead row versions first, so that autovacuum does not catch up on them
  // inside the next windows.
  await vacuum(fixture, "both");

  await createRawSlot(servers.legacy.url);
  const generating = performance.now();
  mixCounts = await runMix(legacy, { changes: rows, seed: MIX_SEED });
  const mixMarker = await commitMarker(legacy, `mix ${run}`);
  console.log(
    `  mix: ${totalChanges(mixCounts).toLocaleString("en")} changes committed in ${
      ((performance.now() - generating) / 1_000).toFixed(1)
    } s`,
  );
  mixes.push(await applyAfterTheFact(fixture, mixMarker, totalChanges(mixCounts)));
  await dropRawSlot(servers.legacy.url);
  console.log(`  mix applied: ${sideTimes(mixes.at(-1)!)}`);

  steady.native.push(await steadyNative(fixture, run));
  steady.daemon.push(await steadyDaemon(fixture, run));
  console.log(
    `  steady lag p50 / p99: native ${steady.native.at(-1)!.p50Ms} / ${
      steady.native.at(-1)!.p99Ms
    } ms, daemon ${steady.daemon.at(-1)!.p50Ms} / ${steady.daemon.at(-1)!.p99Ms} ms`,
  );
}

const burst = report(
  `burst: ${rows.toLocaleString("en")} updates in one transaction`,
  bursts,
  1.5,
);
const mix = report(
  `production mix: ${totalChanges(mixCounts!).toLocaleString("en")} changes in ${
    mixCounts!.transactions.toLocaleString("en")
  } transactions (${describeMix(mixCounts!)})`,
  mixes,
  2,
);
const lag = {
  native: {
    p50_ms: spread(steady.native.map((s) => s.p50Ms)),
    p99_ms: spread(steady.native.map((s) => s.p99Ms)),
  },
  daemon: {
    p50_ms: spread(steady.daemon.map((s) => s.p50Ms)),
    p99_ms: spread(steady.daemon.map((s) => s.p99Ms)),
  },
};
console.log(
  `steady production mix, ${
    STEADY_CHANGES_PER_SECOND.toLocaleString("en")
  } changes/s for ${steadySeconds} s, lag of the mirrored changes from legacy commit to visible, median of ${runs} runs (min–max):`,
);
for (const side of ["native", "daemon"] as const) {
  console.log(
    `  ${side.padEnd(20)} p50 ${formatSpread(lag[side].p50_ms, "ms", 0)}, p99 ${
      formatSpread(lag[side].p99_ms, "ms", 0)
    }${side === "daemon" ? " (target p99 ≤ 250 ms)" : ""}`,
  );
}
console.log(JSON.stringify({
  bench: "stream",
  date: new Date().toISOString(),
  rows,
  runs,
  burst,
  mix: { counts: mixCounts, ...mix },
  steady: { changes_per_second: STEADY_CHANGES_PER_SECOND, seconds: steadySeconds, lag },
}));

/** Prints the three sides of `runs` with their ratios; returns them as JSON fields. */
function report(
  title: string,
  runs: AppliedAfter[],
  target: number,
): Record<string, unknown> {
  const raw = summariseSide(runs.map((run) => run.raw));
  const native = summariseSide(runs.map((run) => run.native));
  const daemon = summariseSide(runs.map((run) => run.daemon));
  console.log(`${title}, median of ${runs.length} runs (min–max), changes/s:`);
  console.log(sideLine("raw decode", raw));
  console.log(sideLine("native subscription", native));
  console.log(sideLine("daemon", daemon));
  const ratios = {
    daemon_vs_native: speedRatio(daemon, native),
    daemon_vs_raw_decode: speedRatio(daemon, raw),
    native_vs_raw_decode: speedRatio(native, raw),
  };
  console.log(
    `  speed ratios of the medians (above 1: faster): daemon / native ${ratios.daemon_vs_native} (target ≥ ${target}), daemon / raw decode ${ratios.daemon_vs_raw_decode}, native / raw decode ${ratios.native_vs_raw_decode}`,
  );
  console.log(kindsLine("raw decode", raw));
  console.log(kindsLine("native", native));
  console.log(kindsLine("daemon", daemon));
  return {
    raw_decode: sideJson(raw),
    native: sideJson(native),
    daemon: sideJson(daemon),
    speed_ratios: ratios,
  };
}

/** The native subscription alone under the steady load. */
async function steadyNative(fixture: StreamFixture, run: number): Promise<SteadyLag> {
  await enableSubscription(fixture.native);
  try {
    const caughtUp = await commitMarker(fixture.legacy, `steady native ${run}`);
    await waitForMarker(fixture.native, "native", caughtUp);
    await vacuum(fixture, "native");
    return await steadyLoad(
      { legacy: servers.legacy.url, target: servers.nativeUrl },
      "native",
      { seconds: steadySeconds, changesPerSecond: STEADY_CHANGES_PER_SECOND, seed: STEADY_SEED },
    );
  } finally {
    await disableSubscription(fixture.native);
  }
}

/** The daemon alone under the steady load, once it has caught up with the native phase's. */
async function steadyDaemon(fixture: StreamFixture, run: number): Promise<SteadyLag> {
  const daemon = startDaemon(fixture.databases);
  try {
    const ended = daemon.exited;
    const caughtUp = await commitMarker(fixture.legacy, `steady daemon ${run}`);
    await waitForMarker(fixture.identity, "identity", caughtUp, { ended });
    await vacuum(fixture, "identity");
    return await steadyLoad(
      { legacy: servers.legacy.url, target: servers.identityUrl },
      "identity",
      {
        seconds: steadySeconds,
        changesPerSecond: STEADY_CHANGES_PER_SECOND,
        seed: STEADY_SEED,
        ended,
      },
    );
  } finally {
    await daemon.stop();
  }
}

/**
 * Vacuums and analyzes the legacy table and the target tables of `which` (the identity database
 * whole: the accounts, and the spool a streamed burst left dead), so that autovacuum does not catch
 * up on the last phase inside the next windows.
 */
async function vacuum(
  fixture: StreamFixture,
  which: "native" | "identity" | "both",
): Promise<void> {
  await fixture.legacy.query("vacuum (analyze) users");
  if (which !== "identity") await fixture.native.query("vacuum (analyze) users");
  if (which !== "native") await fixture.identity.query("vacuum (analyze)");
}

function sideTimes(run: AppliedAfter): string {
  return `raw decode ${run.raw.seconds.toFixed(2)} s, native ${
    run.native.seconds.toFixed(2)
  } s, daemon ${run.daemon.seconds.toFixed(2)} s`;
}

function describeMix(counts: MixCounts): string {
  const total = totalChanges(counts);
  const share = (n: number) => `${(100 * n / total).toFixed(1)} %`;
  return `last logins ${share(counts.logins)}, display names ${
    share(counts.displayNames)
  }, inserts ${share(counts.inserts)}, renames ${share(counts.renames)}, deletes ${
    share(counts.deletes)
  }`;
}
