/** `deno task serve`: the account API alone (the daemon serves it too), until SIGTERM or SIGINT. */
import type { Config } from "../config.ts";
import { migrate } from "../db/migrate.ts";
import { resolveDatabases } from "../db/resolve_databases.ts";
import { openAccountApi } from "../http/account_api.ts";
import { healthRoute } from "../http/health_routes.ts";
import { startApiListener, startOpsListener } from "../http/listeners.ts";
import { createMetrics } from "../telemetry/metrics.ts";

const SIGNALS = ["SIGTERM", "SIGINT"] as const;

/**
 * Serves the account API on `API_HTTP_HOST:API_HTTP_PORT`, and `/metrics`, `/healthz` and
 * `/readyz` on `OPS_HTTP_HOST:OPS_HTTP_PORT`, until a stop signal.
 */
export async function serveCommand(config: Config): Promise<void> {
  const databases = await resolveDatabases(config);
  try {
    await migrate(databases.identityUrl);
    const api = openAccountApi(config, databases.identityUrl);
    const metrics = createMetrics({ env: Deno.env.toObject() });
    const stopped = Promise.withResolvers<void>();
    const onSignal = () => stopped.resolve();
    for (const signal of SIGNALS) Deno.addSignalListener(signal, onSignal);
    const ops = await startOpsListener(config, [
      metrics.route,
      healthRoute(() => ({
        ready: true,
        reason: "serving the account API",
        state: "serving",
        apply_lag_seconds: null,
      })),
    ]);
    const server = await startApiListener(config, api.route);
    try {
      await stopped.promise;
    } finally {
      for (const signal of SIGNALS) Deno.removeSignalListener(signal, onSignal);
      await server.stop();
      await ops.stop();
      await api.close();
      await metrics.shutdown();
    }
  } finally {
    await databases.close();
  }
}
