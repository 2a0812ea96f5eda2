/**
 * The two listeners: operations (`/metrics`, `/healthz`, `/readyz`) for Prometheus and the
 * orchestrator's probes, and the account API (`/v1/*`, `/openapi.json`) for the load balancer.
 * A path is served on its own listener only, so exposing one never exposes the other.
 */
import type { Config } from "../config.ts";
import { type HttpServer, type Route, startHttpServer } from "./http_server.ts";

/** Starts the operations listener on `OPS_HTTP_HOST:OPS_HTTP_PORT`. */
export function startOpsListener(config: Config, routes: readonly Route[]): Promise<HttpServer> {
  return startHttpServer({
    host: config.ops.host,
    port: config.ops.port,
    routes,
    name: "ops",
    settings: "OPS_HTTP_HOST and OPS_HTTP_PORT",
  });
}

/** Starts the account API's listener on `API_HTTP_HOST:API_HTTP_PORT`, with its request timeout. */
export function startApiListener(config: Config, route: Route): Promise<HttpServer> {
  return startHttpServer({
    host: config.api.host,
    port: config.api.port,
    routes: [route],
    name: "api",
    settings: "API_HTTP_HOST and API_HTTP_PORT",
    requestTimeoutMs: config.api.requestTimeoutMs,
  });
}
