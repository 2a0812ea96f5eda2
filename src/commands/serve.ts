/** `deno task serve`: the account API alone (the daemon serves it too), until SIGTERM or SIGINT. */
import type { Config } from "../config.ts";
import { migrate } from "../db/migrate.ts";
import { resolveDatabases } from "../db/resolve_databases.ts";
import { openAccountApi } from "../http/account_api.ts";
import { startHttpServer } from "../http/http_server.ts";
import { jsonResponse } from "../http/responses.ts";

const SIGNALS = ["SIGTERM", "SIGINT"] as const;

/** Serves the account API and `/healthz` on `HTTP_HOST:HTTP_PORT` until a stop signal. */
export async function serveCommand(config: Config): Promise<void> {
  const databases = await resolveDatabases(config);
  try {
    await migrate(databases.identityUrl);
    const api = openAccountApi(config, databases.identityUrl);
    const stopped = Promise.withResolvers<void>();
    const onSignal = () => stopped.resolve();
    for (const signal of SIGNALS) Deno.addSignalListener(signal, onSignal);
    const server = await startHttpServer({
      ...config.http,
      routes: [
        api.route,
        (request, url) =>
          request.method === "GET" && url.pathname === "/healthz"
            ? jsonResponse(200, { alive: true })
            : undefined,
      ],
    });
    try {
      await stopped.promise;
    } finally {
      for (const signal of SIGNALS) Deno.removeSignalListener(signal, onSignal);
      await server.stop();
      await api.close();
    }
  } finally {
    await databases.close();
  }
}
