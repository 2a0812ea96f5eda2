/**
 * `deno task bench:spooled-burst [--rows N] [--runs R]`: the burst's remaining lever (see
 * `streamed_spool.ts`) against the native subscription, raw decode and the daemon as it is, on the
 * same one-transaction burst of `bench:stream`, R times each on a fresh state. The lever applies
 * to a copy of the snapshot's accounts; after the daemon has applied the burst to its own, both are
 * checked to hold the same accounts.
 */
import { parseArgs } from "node:util";
import type pg from "../src/db/pg.ts";
import { applyAfterTheFact } from "./apply_after.ts";
import { DEFAULT_RUNS, positiveInteger } from "./bench_args.ts";
import { startBenchServers } from "./bench_servers.ts";
import { commitMarker, MARKER_ID } from "./marker.ts";
import { formatSpread, spread } from "./median.ts";
import { processCpu } from "./process_cpu.ts";
import { createRawSlot, dropRawSlot } from "./raw_decode.ts";
import {
  kindsLine,
  sideJson,
  sideLine,
  type SideRun,
  speedRatio,
  summariseSide,
} from "./side_summary.ts";
import { prepareStreamRun } from "./stream_fixture.ts";
import {
  dropSpooledSlot,
  prepareSpooled,
  SPOOLED_ACCOUNTS,
  spooledApply,
  type SpooledRun,
} from "./streamed_spool.ts";
import { timeWindow } from "./timed_window.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "1000000" },
    runs: { type: "string", default: DEFAULT_RUNS },
  },
});
const rows = positiveInteger("rows", values.rows);
const runs = positiveInteger("runs", values.runs);

await using servers = await startBenchServers();
const sides = {
  spooled: [] as SideRun[],
  raw: [] as SideRun[],
  native: [] as SideRun[],
  daemon: [] as SideRun[],
};
const phases: SpooledRun[] = [];
for (let run = 1; run <= runs; run++) {
  console.log(`run ${run}/${runs}: ${rows.toLocaleString("en")} legacy users, daemon snapshot…`);
  await using fixture = await prepareStreamRun(servers, rows);
  const { legacy, identity } = fixture;
  await prepareSpooled(identity, legacy);
  await createRawSlot(servers.legacy.url);
  await legacy.query("update users set display_name = coalesce(display_name, '') || '+'");
  const marker = await commitMarker(legacy, `burst ${run}`);

  const ownCpu = processCpu("self")!.own;
  const spooled = await timeWindow(
    servers,
    () => spooledApply(servers.legacy.url, servers.identityUrl, identity, rows),
  );
  const spooledCpu = processCpu("self")!.own - ownCpu;
  await dropSpooledSlot(legacy);
  phases.push(spooled.value);
  sides.spooled.push({ ...spooled, changes: spooled.value.changes, processCpu: spooledCpu });

  const after = await applyAfterTheFact(fixture, marker, rows);
  await dropRawSlot(servers.legacy.url);
  sides.raw.push(after.raw);
  sides.native.push(after.native);
  sides.daemon.push(after.daemon);
  await checkSameAccounts(identity);
  console.log(
    `  spooled ${spooled.seconds.toFixed(2)} s (streamed and spooled in ${
      spooled.value.streamSeconds.toFixed(2)
    } s), raw decode ${after.raw.seconds.toFixed(2)} s, native ${
      after.native.seconds.toFixed(2)
    } s, daemon ${after.daemon.seconds.toFixed(2)} s`,
  );
}

const summary = {
  spooled: summariseSide(sides.spooled),
  raw: summariseSide(sides.raw),
  native: summariseSide(sides.native),
  daemon: summariseSide(sides.daemon),
};
const streamed = spread(phases.map((phase) => phase.streamSeconds));
const first = spread(phases.map((phase) => phase.firstChangeSeconds));
console.log(
  `burst: ${
    rows.toLocaleString("en")
  } updates in one transaction, median of ${runs} runs (min–max), changes/s:`,
);
console.log(sideLine("streamed and spooled", summary.spooled));
console.log(
  `    of it streamed and spooled ${formatSpread(streamed, "s")}, first change after ${
    formatSpread(first, "s")
  }`,
);
console.log(sideLine("raw decode", summary.raw));
console.log(sideLine("native subscription", summary.native));
console.log(sideLine("daemon", summary.daemon));
const ratios = {
  spooled_vs_native: speedRatio(summary.spooled, summary.native),
  daemon_vs_native: speedRatio(summary.daemon, summary.native),
  spooled_vs_daemon: speedRatio(summary.spooled, summary.daemon),
};
console.log(
  `  speed ratios of the medians (above 1: faster): spooled / native ${ratios.spooled_vs_native} (the burst's target ≥ 1.5), daemon / native ${ratios.daemon_vs_native}, spooled / daemon ${ratios.spooled_vs_daemon}`,
);
for (const [label, side] of Object.entries(summary)) console.log(kindsLine(label, side));
console.log(JSON.stringify({
  bench: "spooled-burst",
  date: new Date().toISOString(),
  rows,
  runs,
  streamed_seconds: streamed,
  first_change_seconds: first,
  ...Object.fromEntries(Object.entries(summary).map(([label, side]) => [label, sideJson(side)])),
  speed_ratios: ratios,
}));

/**
 * Every account the burst changed holds the same values in the lever's copy as in the daemon's
 * accounts (the marker's row aside: the lever stops at the burst).
 */
async function checkSameAccounts(identity: pg.ClientBase): Promise<void> {
  const { rows } = await identity.query<{ differ: string; total: string }>(
    `select count(*) filter (where s.legacy_id is null
                               or (a.display_name, a.username, a.status, a.source_lsn)
                                  is distinct from (s.display_name, s.username, s.status, s.source_lsn))
              as differ,
            count(*) as total
     from identity.accounts a left join ${SPOOLED_ACCOUNTS} s using (legacy_id)
     where a.legacy_id <> '${MARKER_ID}'`,
  );
  const { differ, total } = rows[0]!;
  if (Number(differ) !== 0) {
    throw new Error(
      `The lever's accounts differ from the daemon's: ${differ} of ${total} (display name, username, status or source LSN)`,
    );
  }
}
