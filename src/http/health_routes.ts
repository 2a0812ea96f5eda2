/** `/healthz` (the process answers) and `/readyz` (streaming, caught up within the threshold). */
import type { Readiness } from "../sync/readiness.ts";
import type { Route } from "./http_server.ts";
import { jsonResponse } from "./responses.ts";

/** The health route (`GET` and `HEAD`); `readiness()` is asked at each `/readyz`. */
export function healthRoute(readiness: () => Readiness): Route {
  return (request, url) => {
    if (request.method !== "GET" && request.method !== "HEAD") return undefined;
    if (url.pathname === "/healthz") return jsonResponse(200, { alive: true });
    if (url.pathname !== "/readyz") return undefined;
    const answer = readiness();
    return jsonResponse(answer.ready ? 200 : 503, answer);
  };
}
