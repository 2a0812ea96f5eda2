/**
 * The sync daemons' container health check in compose.yaml:
 * `deno run --allow-net=127.0.0.1 ops/compose/readyz_probe.ts http://127.0.0.1:9464/readyz`.
 *
 * Healthy is doing its part: streaming and caught up (`/readyz` 200), or standing by to take the
 * slot over (503 `standby`, by design never ready). Starting, snapshotting, reconnecting or lagging
 * is unhealthy. Exits 0 or 1 and prints the daemon's state and reason, which `docker inspect` keeps.
 *
 * @module
 */
import type { Readiness } from "../../src/sync/readiness.ts";

/** Whether a daemon that answered `/readyz` with `status` and `body` streams caught up or stands by. */
export function isHealthy(status: number, body: Pick<Readiness, "ready" | "state">): boolean {
  return (status === 200 && body.ready) || body.state === "standby";
}

if (import.meta.main) {
  const url = Deno.args[0];
  let healthy = false;
  try {
    if (url === undefined) throw new TypeError("no URL given");
    const response = await fetch(url, { signal: AbortSignal.timeout(4_000) });
    const body: Readiness = await response.json();
    healthy = isHealthy(response.status, body);
    console.log(`${response.status} ${body.state}: ${body.reason}`);
  } catch (error) {
    console.log(`Cannot probe ${url}: ${error instanceof Error ? error.message : error}`);
  }
  Deno.exit(healthy ? 0 : 1);
}
