/**
 * `deno task bench:scale [--rows 1000000,5000000,10000000]`: the snapshot at growing sizes, each
 * on a fresh embedded server: seconds per million rows and peak RSS for each, whether the cost
 * grows linearly (every size's time per million ≤ 1.2 × the smallest size's) and memory stays flat,
 * and a projection to 300 million accounts.
 */
import { parseArgs } from "node:util";
import { createLegacyUsersTable, insertLegacyUsers } from "../src/demo/legacy_users.ts";
import pg from "../src/db/pg.ts";
import { startTestServer } from "../tests/support/test_server.ts";
import { runSnapshotProcess } from "./snapshot_process.ts";

const PROJECTED_ROWS = 300_000_000;
/** Each size may cost at most 20 % more per million rows than the smallest (10M: 12 × 1M). */
const LINEAR_SLACK = 1.2;
/** Peak RSS may vary by this factor between sizes and still count as flat. */
const FLAT_RSS = 1.25;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "1000000,5000000,10000000" },
    workers: { type: "string" },
  },
});
const sizes = values.rows!.split(",").map(Number);
if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1)) {
  throw new RangeError(
    `Cannot run the benchmark: --rows "${values.rows}" is not two or more positive integers`,
  );
}

const runs: { rows: number; seconds: number; peakRssMb: number | null }[] = [];
for (const rows of sizes) {
  const server = await startTestServer(18);
  try {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    console.log(`${rows.toLocaleString("en")} rows: generating…`);
    await createLegacyUsersTable(client);
    await insertLegacyUsers(client, { rows });
    await client.query("vacuum analyze users");
    await client.end();
    const run = await runSnapshotProcess({ legacyUrl: server.url, identityUrl: server.url }, {
      ...(values.workers ? { SNAPSHOT_WORKERS: values.workers } : {}),
    });
    runs.push({ rows, seconds: run.seconds, peakRssMb: run.peakRssMb });
    console.log(
      `${rows.toLocaleString("en")} rows: ${run.seconds.toFixed(1)} s, ${
        perMillion(rows, run.seconds).toFixed(1)
      } s per million, ${Math.round(rows / run.seconds).toLocaleString("en")} rows/s, peak RSS ${
        run.peakRssMb ?? "?"
      } MB`,
    );
  } finally {
    await server.stop();
  }
}

const smallest = runs[0]!;
const largest = runs.at(-1)!;
/** Every size against the smallest: its time per million within `LINEAR_SLACK` × the smallest's. */
const checks = runs.slice(1).map((run) => {
  const rowRatio = run.rows / smallest.rows;
  const timeRatio = run.seconds / smallest.seconds;
  return { rows: run.rows, rowRatio, timeRatio, linear: timeRatio <= rowRatio * LINEAR_SLACK };
});
const linear = checks.every((check) => check.linear);
const rss = runs.map((run) => run.peakRssMb ?? 0);
const flat = Math.max(...rss) <= Math.min(...rss) * FLAT_RSS;
const projectedHours = perMillion(largest.rows, largest.seconds) * PROJECTED_ROWS / 1e6 / 3600;
for (const check of checks) {
  console.log(
    `linear: ${check.rows.toLocaleString("en")} rows took ${
      check.timeRatio.toFixed(2)
    } × the time of ${smallest.rows.toLocaleString("en")} for ${check.rowRatio} × the rows (limit ${
      (check.rowRatio * LINEAR_SLACK).toFixed(1)
    }): ${check.linear ? "PASS" : "FAIL"}`,
  );
}
console.log(
  `flat memory: peak RSS ${Math.min(...rss)}–${Math.max(...rss)} MB: ${flat ? "PASS" : "FAIL"}`,
);
console.log(
  `projection: ${PROJECTED_ROWS.toLocaleString("en")} rows at ${
    perMillion(largest.rows, largest.seconds).toFixed(1)
  } s per million ≈ ${projectedHours.toFixed(1)} h for one process on this machine`,
);
console.log(JSON.stringify({
  bench: "scale",
  runs: runs.map((run) => ({
    rows: run.rows,
    seconds: Number(run.seconds.toFixed(2)),
    seconds_per_million: Number(perMillion(run.rows, run.seconds).toFixed(2)),
    peak_rss_mb: run.peakRssMb,
  })),
  against_smallest: checks.map((check) => ({
    rows: check.rows,
    time_ratio: Number(check.timeRatio.toFixed(3)),
    row_ratio: check.rowRatio,
    linear: check.linear,
  })),
  linear,
  flat_memory: flat,
  projected_hours_300m_one_process: Number(projectedHours.toFixed(2)),
}));

function perMillion(rows: number, seconds: number): number {
  return seconds / (rows / 1e6);
}
