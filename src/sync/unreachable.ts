/** Which failures are a database out of reach, worth waiting out, rather than a fault to report. */

/**
 * Whether `error` only says that a database could not be reached or went away: a connection
 * failure (SQLSTATE class 08), a server shutting down or starting (57P01–57P03), too many
 * connections (53300), or a socket error. Anything else is the operator's to see.
 */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") {
    if (/^08/.test(code) || ["57P01", "57P02", "57P03", "53300"].includes(code)) return true;
    if (["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH"].includes(code)) {
      return true;
    }
  }
  const message = (error as Error | null)?.message ?? "";
  // node-postgres: a client whose session the server ended refuses further queries.
  return /Connection terminated|terminating connection|connection refused|server closed the connection|connection error and is not queryable|ECONNREFUSED|ECONNRESET|EPIPE|the database system is (starting up|shutting down)/i
    .test(message);
}
