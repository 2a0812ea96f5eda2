/** The snapshot's progress as metrics: rows read by this process, and the run's progress ratio. */
import type { Meter } from "@opentelemetry/api";
import type { SnapshotProgress } from "../snapshot/progress.ts";
import { METRIC_NAMES } from "./metric_names.ts";

/** Reports the progress `current()` returns, when there is one, at every collection. */
export function observeSnapshot(
  meter: Meter,
  current: () => SnapshotProgress | undefined,
): void {
  meter.createObservableCounter(METRIC_NAMES.snapshotRows, {
    description: "legacy rows read by this process's snapshot",
  }).addCallback((result) => {
    const progress = current();
    if (progress) result.observe(progress.readHere);
  });
  meter.createObservableGauge(METRIC_NAMES.snapshotProgress, {
    description: "rows read by every process of the snapshot run over the rows expected (0 to 1)",
  }).addCallback((result) => {
    const progress = current();
    if (progress) result.observe(progress.ratio());
  });
}
