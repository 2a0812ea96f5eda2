/**
 * Changes committed on the legacy server before the clock starts, then applied after the fact by
 * each side alone, each timed from its start to the marker committed after the changes being
 * visible (start-up included on both sides):
 *
 * - raw decode: the raw slot (created before the changes) streamed and decoded, nothing applied;
 * - native: the disabled subscription (its slot created before the changes) enabled;
 * - daemon: `deno task sync` spawned (stopped before the changes, its slot behind them).
 *
 * Each side's slot is left past the marker before the side stops (untimed; see `slot_past.ts`).
 */
import { type Daemon, startDaemon } from "./daemon_process.ts";
import { type Marker, waitForMarker } from "./marker.ts";
import {
  disableSubscription,
  enableSubscription,
  NATIVE_SUBSCRIPTION,
  verifyNativeCopy,
} from "./native_peer.ts";
import { PROJECT_SLOT } from "./project_task.ts";
import { leaveSlotPast } from "./slot_past.ts";
import { processCpu } from "./process_cpu.ts";
import { rawDecode } from "./raw_decode.ts";
import type { SideRun } from "./side_summary.ts";
import type { StreamFixture } from "./stream_fixture.ts";
import { timeWindow } from "./timed_window.ts";

/** The three sides' runs. */
export interface AppliedAfter {
  raw: SideRun;
  native: SideRun;
  daemon: SideRun;
}

/** Times the three sides on the `changes` committed before the marker `marker`. */
export async function applyAfterTheFact(
  fixture: StreamFixture,
  marker: Marker,
  changes: number,
): Promise<AppliedAfter> {
  const { servers } = fixture;
  const ownCpu = processCpu("self")!.own;
  const raw = await timeWindow(servers, () => rawDecode(servers.legacy.url, marker.text));
  const rawCpu = processCpu("self")!.own - ownCpu;

  const native = await timeWindow(servers, async () => {
    await enableSubscription(fixture.native);
    await waitForMarker(fixture.native, "native", marker);
  });
  await leaveSlotPast(fixture.legacy, NATIVE_SUBSCRIPTION, marker);
  await disableSubscription(fixture.native);
  await verifyNativeCopy(fixture.legacy, fixture.native);

  let daemon: Daemon | undefined;
  try {
    const applied = await timeWindow(servers, async () => {
      daemon = startDaemon(fixture.databases);
      await waitForMarker(fixture.identity, "identity", marker, { ended: daemon.exited });
      return { cpu: daemon.cpuSeconds(), peakRssMb: daemon.peakRssMb() };
    });
    await warnUnlessMirrored(fixture);
    await leaveSlotPast(fixture.legacy, PROJECT_SLOT, marker);
    return {
      raw: { ...raw, changes, processCpu: rawCpu },
      native: { ...native, changes, processCpu: null },
      daemon: {
        ...applied,
        changes,
        processCpu: applied.value.cpu,
        peakRssMb: applied.value.peakRssMb,
      },
    };
  } finally {
    await daemon?.stop();
  }
}

/** Warns when the identity tables do not hold one active account per legacy row. */
async function warnUnlessMirrored(fixture: StreamFixture): Promise<void> {
  const count = async (client: StreamFixture["legacy"], sql: string) =>
    Number((await client.query<{ n: string }>(sql)).rows[0]!.n);
  const [legacyRows, accounts] = await Promise.all([
    count(fixture.legacy, "select count(*) as n from users"),
    count(
      fixture.identity,
      "select count(*) as n from identity.accounts where status = 'active' and legacy_id is not null",
    ),
  ]);
  if (legacyRows !== accounts) {
    console.warn(
      `warning: ${legacyRows} legacy rows but ${accounts} active legacy accounts after the daemon's window (dead letters?)`,
    );
  }
}
