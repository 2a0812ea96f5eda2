/**
 * The production mix at a steady rate, and the lag of its mirrored changes: from the legacy
 * commit to the change being visible on the target. Each transaction that has mirrored changes
 * ends by setting the marker row to `tick <n>` (about 0.2 % more changes); once the target shows
 * tick n, every transaction up to it is applied, and each of its mirrored changes counts once
 * with the lag of its transaction.
 */
import { connect } from "./bench_servers.ts";
import { type MarkerTarget, readMarker } from "./marker.ts";
import { mirroredChanges, runMix, totalChanges } from "./production_mix.ts";

/** Options of {@linkcode steadyLoad}. */
export interface SteadyLoadOptions {
  seconds: number;
  changesPerSecond: number;
  /** Seeds the mix's draws: the same seed gives each side the same transactions. */
  seed: number;
  /** Settles if what applies the changes ends first: then the load fails. */
  ended?: Promise<unknown>;
}

/** Lag percentiles over the mirrored changes, and what was committed. */
export interface SteadyLag {
  p50Ms: number;
  p99Ms: number;
  changes: number;
  mirrored: number;
}

/** Commits the mix at `legacyUrl` at a steady rate while watching `target` at `targetUrl`. */
export async function steadyLoad(
  urls: { legacy: string; target: string },
  target: MarkerTarget,
  options: SteadyLoadOptions,
): Promise<SteadyLag> {
  const [writer, reader] = await Promise.all([connect(urls.legacy), connect(urls.target)]);
  const committed = new Map<number, { at: number; mirrored: number }>();
  // Ticks go on from the target's marker (an earlier phase's, once it has caught up with it).
  const tickOf = async () =>
    Number(/^tick (\d+)$/.exec(await readMarker(reader, target) ?? "")?.[1] ?? 0);
  const base = await tickOf();
  const lags: { ms: number; weight: number }[] = [];
  let lastTick = base;
  let writing = true;
  let failed: { error: unknown } | undefined;
  let ended = false;
  options.ended?.then(() => ended = true, () => ended = true);
  const poll = (async () => {
    let seen = base;
    while (!failed && (writing || seen < lastTick)) {
      if (ended) throw new Error(`Cannot measure the steady lag on ${target}: its applier ended`);
      // A tick the writer has not yet seen committed is counted at the next look.
      const tick = Math.min(await tickOf(), lastTick);
      const now = performance.now();
      for (let t = seen + 1; t <= tick; t++) {
        const transaction = committed.get(t)!;
        lags.push({ ms: now - transaction.at, weight: transaction.mirrored });
      }
      seen = Math.max(seen, tick);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  let changes = 0;
  let mirrored = 0;
  try {
    const started = performance.now();
    const until = started + options.seconds * 1_000;
    let seed: number | undefined = options.seed;
    while (performance.now() < until) {
      const tick = lastTick + 1;
      const counts = await runMix(writer, {
        changes: Number.MAX_SAFE_INTEGER,
        transactions: 1,
        seed,
        tick,
      });
      const at = performance.now();
      seed = undefined;
      changes += totalChanges(counts);
      mirrored += mirroredChanges(counts);
      if (mirroredChanges(counts) > 0) {
        committed.set(tick, { at, mirrored: mirroredChanges(counts) });
        lastTick = tick;
      }
      const due = started + changes / options.changesPerSecond * 1_000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    }
  } catch (error) {
    failed = { error };
  } finally {
    writing = false;
  }
  try {
    await poll;
  } finally {
    await Promise.all([writer.end(), reader.end()]);
  }
  if (failed) throw failed.error;
  return {
    p50Ms: weightedPercentile(lags, 0.5),
    p99Ms: weightedPercentile(lags, 0.99),
    changes,
    mirrored,
  };
}

/** The lag below which a `q` share of the weight lies. */
function weightedPercentile(lags: { ms: number; weight: number }[], q: number): number {
  const sorted = [...lags].sort((a, b) => a.ms - b.ms);
  const total = sorted.reduce((sum, lag) => sum + lag.weight, 0);
  let below = 0;
  for (const lag of sorted) {
    below += lag.weight;
    if (below >= q * total) return Math.round(lag.ms);
  }
  return Math.round(sorted.at(-1)?.ms ?? 0);
}
