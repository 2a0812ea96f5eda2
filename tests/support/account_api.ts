/** The account API on a test database, and a client for it. */
import { createDatabase } from "../../src/db/database.ts";
import { accountRoute } from "../../src/http/account_routes.ts";
import { Admission, type AdmissionOptions } from "../../src/http/admission.ts";
import { type HttpServer, startHttpServer } from "../../src/http/http_server.ts";
import { cryptoRandom, protectedNames } from "../../src/policy/mod.ts";
import type { TestDatabase } from "./test_database.ts";

/** The write token of a started API. */
export const TOKEN = "test-token-0123456789abcdef";
/** The policy a started API uses. */
export const POLICY = { random: cryptoRandom, protectedNames: protectedNames(), holdDays: 90 };

/** Options of {@linkcode startApi}. */
export interface ApiOptions {
  /** null turns writes off. */
  token?: string | null;
  maxBodyBytes?: number;
  usernameCheckLimit?: { ratePerSecond: number; burst: number };
  /** The admission gate's limits; none: no gate. */
  admission?: AdmissionOptions;
  /** The pool's limits: connections, the wait for one, each statement's time. */
  pool?: { max?: number; acquireTimeoutMs?: number; statementTimeoutMs?: number };
  /** Milliseconds before a request is answered 503. */
  requestTimeoutMs?: number;
}

/** The account API on `db`, on a free port; `token: null` turns writes off. */
// deno-lint-ignore explicit-module-boundary-types -- the shape is what the tests use
export async function startApi(db: TestDatabase, options: ApiOptions = {}) {
  const token = options.token === undefined ? TOKEN : options.token ?? undefined;
  const kysely = createDatabase(db.url, options.pool);
  const server = await startHttpServer({
    host: "127.0.0.1",
    port: 0,
    requestTimeoutMs: options.requestTimeoutMs,
    routes: [accountRoute({
      db: kysely,
      token,
      maxBodyBytes: options.maxBodyBytes ?? 1_024,
      policy: POLICY,
      usernameCheckLimit: options.usernameCheckLimit,
      admission: options.admission && new Admission(options.admission),
    })],
  });
  return {
    server,
    db: kysely,
    call: (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
      call(server, method, path, body, { authorization: `Bearer ${token}`, ...headers }),
    [Symbol.asyncDispose]: async () => {
      await server.stop();
      await kysely.destroy();
    },
  };
}

/** One request to `server`, with the JSON body, status, `Retry-After` and headers of the answer. */
// deno-lint-ignore explicit-module-boundary-types -- the shape is what the tests use
export async function call(
  server: HttpServer,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const retryAfter = response.headers.get("retry-after");
  const answer = {
    status: response.status,
    body: text ? JSON.parse(text) : null,
    ...(retryAfter === null ? {} : { retryAfter }),
  };
  // Not enumerable: tests compare answers whole with deepEqual.
  return Object.defineProperties(answer, {
    headers: { value: response.headers, enumerable: false },
    text: { value: text, enumerable: false },
  }) as typeof answer & { headers: Headers; text: string };
}
