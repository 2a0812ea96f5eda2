/** Whether the daemon is ready (`/readyz`): streaming, and caught up within a lag threshold. */

/**
 * What the daemon is doing. `standby`: another daemon streams the slot; this one waits to take
 * over.
 */
export type DaemonState =
  | "starting"
  | "snapshotting"
  | "streaming"
  | "standby"
  | "reconnecting"
  | "stopped";

/** The answer of `/readyz`. */
export interface Readiness {
  ready: boolean;
  /** Why not, or "streaming" when ready. */
  reason: string;
  /** `serving`: `deno task serve`, the account API alone, with no stream to be ready for. */
  state: DaemonState | "serving";
  /** Seconds since the last applied legacy transaction committed; null before any. */
  apply_lag_seconds: number | null;
}

/** Judges readiness from the daemon's state and its apply lag. */
export function judgeReadiness(input: {
  state: DaemonState;
  applyLagSeconds: number | null;
  maxLagSeconds: number;
}): Readiness {
  const { state, applyLagSeconds, maxLagSeconds } = input;
  const answer = (ready: boolean, reason: string): Readiness => ({
    ready,
    reason,
    state,
    apply_lag_seconds: applyLagSeconds === null ? null : Number(applyLagSeconds.toFixed(3)),
  });
  if (state === "standby") {
    return answer(
      false,
      "standby: another daemon streams the slot; this one takes over if it stops",
    );
  }
  if (state !== "streaming") return answer(false, `the daemon is ${state}, not streaming`);
  if (applyLagSeconds === null) {
    return answer(false, "no legacy transaction applied yet (the first heartbeat will do)");
  }
  if (applyLagSeconds > maxLagSeconds) {
    return answer(
      false,
      `apply lag ${applyLagSeconds.toFixed(1)} s is above READY_MAX_LAG_SECONDS=${maxLagSeconds}`,
    );
  }
  return answer(true, "streaming");
}
