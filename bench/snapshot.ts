/**
 * `deno task bench:snapshot [--rows N] [--runs R]`: the initial load of N legacy rows, against
 * what PostgreSQL itself does with the same rows, R times each on fresh targets. The legacy table
 * is on one PostgreSQL 18 server, the targets on a second one.
 *
 * 1. The in-database ceiling: one `INSERT … SELECT` inside the legacy server (see
 *    `in_database_ceiling.ts`).
 * 2. The native peer: `CREATE SUBSCRIPTION … WITH (copy_data = true)` into an indexed copy of the
 *    table, timed until every table of it is ready.
 * 3. The snapshot (`deno task snapshot`, a process of its own) into an empty identity database,
 *    with its peak RSS and CPU.
 *
 * Prints each side's median time and spread, CPU per row on each server and in the snapshot's
 * process, the speed ratios of the medians, then one JSON line.
 */
import { parseArgs } from "node:util";
import { DEFAULT_RUNS, positiveInteger } from "./bench_args.ts";
import { type BenchServers, connect, startBenchServers } from "./bench_servers.ts";
import { dropCeiling, migrateInDatabase, prepareCeiling } from "./in_database_ceiling.ts";
import { prepareLegacyUsers } from "./legacy_source.ts";
import {
  createNativePublication,
  createNativeUsers,
  dropSubscription,
  resetTargets,
  subscribe,
  subscriptionReady,
  verifyNativeCopy,
} from "./native_peer.ts";
import {
  kindsLine,
  sideJson,
  sideLine,
  type SideRun,
  speedRatio,
  summariseSide,
} from "./side_summary.ts";
import { runSnapshotProcess } from "./snapshot_process.ts";
import { timeWindow } from "./timed_window.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "1000000" },
    runs: { type: "string", default: DEFAULT_RUNS },
    workers: { type: "string" },
    "range-size": { type: "string", default: "50000" },
  },
});
const rows = positiveInteger("rows", values.rows);
const runs = positiveInteger("runs", values.runs);
const snapshotEnv = {
  SNAPSHOT_RANGE_SIZE: String(positiveInteger("range-size", values["range-size"])),
  ...(values.workers
    ? { SNAPSHOT_WORKERS: String(positiveInteger("workers", values.workers)) }
    : {}),
};

await using servers = await startBenchServers();
const legacy = await connect(servers.legacy.url);
try {
  console.log(`generating ${rows.toLocaleString("en")} legacy users…`);
  await prepareLegacyUsers(legacy, rows);
  const sides = { ceiling: [] as SideRun[], native: [] as SideRun[], snapshot: [] as SideRun[] };
  let workers = 0;
  for (let run = 1; run <= runs; run++) {
    await resetTargets(servers);
    await createNativePublication(legacy);
    sides.ceiling.push(await ceilingRun());
    sides.native.push(await nativeRun(servers));
    const snapshot = await snapshotRun(servers);
    workers = snapshot.workers;
    sides.snapshot.push(snapshot);
    console.log(
      `run ${run}/${runs}: in-database ${sides.ceiling.at(-1)!.seconds.toFixed(2)} s, native ${
        sides.native.at(-1)!.seconds.toFixed(2)
      } s, snapshot ${snapshot.seconds.toFixed(2)} s`,
    );
  }
  const ceiling = summariseSide(sides.ceiling);
  const native = summariseSide(sides.native);
  const snapshot = summariseSide(sides.snapshot);
  console.log(
    `initial load of ${rows.toLocaleString("en")} rows, median of ${runs} runs (min–max), rows/s:`,
  );
  console.log(sideLine("in-database ceiling", ceiling, "row"));
  console.log(sideLine("native subscription", native, "row"));
  console.log(sideLine(`snapshot (${workers} workers)`, snapshot, "row"));
  const ratios = {
    snapshot_vs_native: speedRatio(snapshot, native),
    snapshot_vs_ceiling: speedRatio(snapshot, ceiling),
    native_vs_ceiling: speedRatio(native, ceiling),
  };
  console.log(
    `  speed ratios of the medians (above 1: faster): snapshot / native ${ratios.snapshot_vs_native} (target ≥ 1), snapshot / in-database ${ratios.snapshot_vs_ceiling} (target ≥ 0.4), native / in-database ${ratios.native_vs_ceiling}`,
  );
  console.log(kindsLine("in-database", ceiling));
  console.log(kindsLine("native", native));
  console.log(kindsLine("snapshot", snapshot));
  console.log(JSON.stringify({
    bench: "snapshot",
    date: new Date().toISOString(),
    rows,
    runs,
    workers,
    in_database: sideJson(ceiling),
    native: sideJson(native),
    snapshot: sideJson(snapshot),
    speed_ratios: ratios,
  }));
} finally {
  await legacy.end();
}

async function ceilingRun(): Promise<SideRun> {
  await prepareCeiling(legacy);
  const window = await timeWindow(servers, () => migrateInDatabase(legacy));
  await dropCeiling(legacy, rows);
  return { ...window, changes: rows, processCpu: null };
}

async function nativeRun(servers: BenchServers): Promise<SideRun> {
  const native = await connect(servers.nativeUrl);
  try {
    await createNativeUsers(native);
    const window = await timeWindow(servers, async () => {
      await subscribe(native, servers.legacy.url, { copyData: true, enabled: true });
      while (!(await subscriptionReady(native))) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
    await verifyNativeCopy(legacy, native);
    await dropSubscription(native);
    return { ...window, changes: rows, processCpu: null };
  } finally {
    await native.end();
  }
}

async function snapshotRun(servers: BenchServers): Promise<SideRun & { workers: number }> {
  const window = await timeWindow(
    servers,
    () =>
      runSnapshotProcess(
        { legacyUrl: servers.legacy.url, identityUrl: servers.identityUrl },
        snapshotEnv,
      ),
  );
  return {
    ...window,
    changes: rows,
    processCpu: window.value.cpuSeconds,
    peakRssMb: window.value.peakRssMb,
    workers: window.value.summary.workers,
  };
}
