/**
 * One HTTP listener: a list of routes tried in order, on `Deno.serve`. The daemon has two, the
 * operations listener (health, metrics) and the account API's, so exposing one never exposes the
 * other. Every answer is `nosniff` and `no-store`, and one that takes longer than the request
 * timeout is answered 503 with `Retry-After`.
 */
import { logger as serviceLogger } from "../logging/logging.ts";
import { errorResponse } from "./responses.ts";

/** Who sent a request, as the connection says (a proxy in front is the client). */
export interface RequestClient {
  /** The remote IP address (or the socket path). */
  address: string;
}

/** Answers a request it owns, or returns undefined to let the next route try. */
export type Route = (
  request: Request,
  url: URL,
  client: RequestClient,
) => Response | undefined | Promise<Response | undefined>;

/** A running server. */
export interface HttpServer {
  /** The port it listens on (the one picked when 0 was asked for). */
  readonly port: number;
  /** Stops accepting requests and waits for those in flight. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startHttpServer}. */
export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  routes: readonly Route[];
  /** What the listener serves, for its logs: `ops` or `api`. */
  name?: string;
  /** The settings that choose host and port, named when the address cannot be listened on. */
  settings?: string;
  /** Milliseconds an answer may take; past it the request is answered 503. None: no limit. */
  requestTimeoutMs?: number;
}

/** Headers every answer carries: never sniffed as another type, never cached. */
const SAFETY_HEADERS = { "x-content-type-options": "nosniff", "cache-control": "no-store" };

const logger = serviceLogger("http");

/**
 * Starts serving; resolves once the server listens.
 *
 * @throws {Error} when the address cannot be listened on (in use, not local, not allowed).
 */
export function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { promise, resolve } = Promise.withResolvers<HttpServer>();
  try {
    serve(options, resolve);
  } catch (error) {
    const where = `${options.host}:${options.port}`;
    throw new Error(
      `Cannot serve HTTP on ${where}: ${(error as Error).message}; set ${
        options.settings ?? "its host and port"
      } (0 picks a free port)`,
      { cause: error },
    );
  }
  return promise;
}

function serve(options: HttpServerOptions, resolve: (server: HttpServer) => void): void {
  const deadlines = options.requestTimeoutMs === undefined
    ? undefined
    : new Deadlines(options.requestTimeoutMs);
  const server = Deno.serve({
    hostname: options.host,
    port: options.port,
    onListen: ({ port }) => {
      logger.info("HTTP {listener} listener on {host}:{port}", {
        listener: options.name ?? "http",
        host: options.host,
        port,
      });
      resolve({
        port,
        stop: async () => {
          await server.shutdown();
          deadlines?.stop();
        },
      });
    },
  }, async (request, info) => {
    const answered = answer(options.routes, request, remoteAddress(info.remoteAddr));
    const response = deadlines ? await deadlines.race(answered) : await answered;
    return withSafetyHeaders(request.method === "HEAD" ? withoutBody(response) : response);
  });
}

async function answer(routes: readonly Route[], request: Request, address: string) {
  const url = new URL(request.url);
  try {
    for (const route of routes) {
      const response = await route(request, url, { address });
      if (response !== undefined) return response;
    }
    // The path is not repeated: an answer never echoes what the caller sent.
    return errorResponse(404, "not_found", "Cannot find this path on this listener");
  } catch (error) {
    logger.error("HTTP request failed: {method} {path}", {
      method: request.method,
      // A name being checked is someone's handle: the route, not the name, is logged.
      path: url.pathname.replace(/^\/v1\/usernames\/[^/]+$/, "/v1/usernames/{name}"),
      error,
    });
    return errorResponse(500, "internal", "internal error");
  }
}

/**
 * Answers due by a deadline: `answer`, or a 503 once `ms` have passed (the work goes on; its own
 * limits end it). One timer sweeps every request's deadline, a few times per timeout, rather
 * than a timer per request: under a flood, timers would cost more than the refusals.
 */
class Deadlines {
  readonly #pending = new Set<{ due: number; late: (response: Response) => void }>();
  readonly #ms: number;
  readonly #sweeper: ReturnType<typeof setInterval>;

  constructor(ms: number) {
    this.#ms = ms;
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(10, Math.min(250, ms / 4)));
  }

  async race(answer: Promise<Response>): Promise<Response> {
    const { promise, resolve } = Promise.withResolvers<Response>();
    const entry = { due: performance.now() + this.#ms, late: resolve };
    this.#pending.add(entry);
    try {
      return await Promise.race([answer, promise]);
    } finally {
      this.#pending.delete(entry);
    }
  }

  stop(): void {
    clearInterval(this.#sweeper);
  }

  #sweep(): void {
    const now = performance.now();
    for (const entry of this.#pending) {
      if (entry.due > now) continue;
      this.#pending.delete(entry);
      const response = errorResponse(
        503,
        "timeout",
        `Cannot answer within ${this.#ms} ms: try again in 1 s`,
      );
      response.headers.set("retry-after", "1");
      entry.late(response);
    }
  }
}

function withSafetyHeaders(response: Response): Response {
  try {
    for (const [name, value] of Object.entries(SAFETY_HEADERS)) response.headers.set(name, value);
    return response;
  } catch {
    // A response with immutable headers: copy it.
    const headers = new Headers(response.headers);
    for (const [name, value] of Object.entries(SAFETY_HEADERS)) headers.set(name, value);
    return new Response(response.body, { status: response.status, headers });
  }
}

function withoutBody(response: Response): Response {
  response.body?.cancel();
  return new Response(null, { status: response.status, headers: response.headers });
}

function remoteAddress(address: Deno.Addr): string {
  if (address.transport === "tcp" || address.transport === "udp") return address.hostname;
  return "path" in address ? address.path : address.transport;
}
