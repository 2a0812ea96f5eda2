/**
 * The daemon's HTTP server: a list of routes tried in order, on `Deno.serve`.
 * Health, metrics and the account API each contribute their own routes.
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

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  routes: readonly Route[];
}

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
      `Cannot serve HTTP on ${where}: ${
        (error as Error).message
      }; set HTTP_HOST and HTTP_PORT (0 picks a free port)`,
      { cause: error },
    );
  }
  return promise;
}

function serve(options: HttpServerOptions, resolve: (server: HttpServer) => void): void {
  const server = Deno.serve({
    hostname: options.host,
    port: options.port,
    onListen: ({ port }) => {
      logger.info("HTTP server listening on {host}:{port}", { host: options.host, port });
      resolve({
        port,
        stop: async () => {
          await server.shutdown();
        },
      });
    },
  }, async (request, info) => {
    const url = new URL(request.url);
    const client = { address: remoteAddress(info.remoteAddr) };
    try {
      for (const route of options.routes) {
        const response = await route(request, url, client);
        if (response !== undefined) return response;
      }
      return errorResponse(404, "not_found", `no route for ${request.method} ${url.pathname}`);
    } catch (error) {
      logger.error("HTTP request failed: {method} {path}", {
        method: request.method,
        // A name being checked is someone's handle: the route, not the name, is logged.
        path: url.pathname.replace(/^\/v1\/usernames\/[^/]+$/, "/v1/usernames/{name}"),
        error,
      });
      return errorResponse(500, "internal", "internal error");
    }
  });
}

function remoteAddress(address: Deno.Addr): string {
  if (address.transport === "tcp" || address.transport === "udp") return address.hostname;
  return "path" in address ? address.path : address.transport;
}
