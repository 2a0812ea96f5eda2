/**
 * The account API as a server part: its route, its database pool (bounded: connections, the wait
 * for one, each statement's time) and admission gate, and its start-up notice.
 */
import type { Config } from "../config.ts";
import { createDatabase } from "../db/database.ts";
import { cryptoRandom, protectedNames } from "../policy/mod.ts";
import { logger } from "../logging/logging.ts";
import { accountRoute } from "./account_routes.ts";
import { Admission } from "./admission.ts";
import type { Route } from "./http_server.ts";

/** A running account API. */
export interface AccountApi {
  route: Route;
  /** Closes its database pool. */
  close(): Promise<void>;
}

/** Opens the account API on the identity database; says at start-up whether writes are on. */
export function openAccountApi(config: Config, identityUrl: string): AccountApi {
  const { api } = config;
  const db = createDatabase(identityUrl, {
    max: api.poolSize,
    acquireTimeoutMs: api.acquireTimeoutMs,
    statementTimeoutMs: api.statementTimeoutMs,
  });
  const log = logger("api");
  if (config.api.token === undefined) {
    log.warning("API_TOKEN is not set: the account API's write endpoints are off (403)");
  } else {
    log.info("account API write endpoints are on (bearer token required)");
  }
  return {
    route: accountRoute({
      db,
      token: config.api.token,
      maxBodyBytes: config.api.maxBodyBytes,
      usernameCheckLimit: config.api.usernameCheck,
      admission: new Admission({
        maxInFlight: api.maxInFlight,
        anonymousInFlight: api.anonymousInFlight,
        maxWaitMs: api.acquireTimeoutMs,
      }),
      policy: {
        random: cryptoRandom,
        protectedNames: protectedNames(config.protectedNames),
        holdDays: config.sync.holdDays,
      },
    }),
    close: () => db.destroy(),
  };
}
