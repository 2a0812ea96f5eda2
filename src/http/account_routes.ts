/**
 * The account API: thin handlers that parse (zod), authorize writes, run one account operation
 * in a transaction of its own, and answer JSON. Errors are `{ "error": { "code", "message" } }`.
 * The username check is public: anonymous callers are rate-limited per address and learn
 * whether a name is available and why the policy refuses it, never whether it is taken or held.
 * Under load the API stays up: each transaction first gets room from the admission gate
 * (anonymous reads are refused at once past their share, writes wait a moment), and a database
 * that is too slow or out of connections is a 503 with `Retry-After`, never a 500 or a hang.
 * Refusals never echo what the caller sent.
 */
import type { Kysely, Transaction } from "kysely";
import { z } from "zod";
import { AccountError } from "../apply/lifecycle/account_error.ts";
import {
  type AccountPolicy,
  checkUsername,
  createAccount,
  deleteAccount,
  renameAccount,
  resolveAccount,
  type UsernameCheck,
} from "../apply/lifecycle/account_operations.ts";
import type { Database } from "../db/database.ts";
import { type Admission, type AdmissionClass } from "./admission.ts";
import { BEARER_CHALLENGE, hasBearerToken } from "./bearer_token.ts";
import type { RequestClient, Route } from "./http_server.ts";
import { OPENAPI_DOCUMENT } from "./openapi.ts";
import { TokenBuckets } from "./rate_limit.ts";
import { BodyError, readJsonBody } from "./request_body.ts";
import { errorResponse, jsonResponse } from "./responses.ts";

/** Options of {@linkcode accountRoute}. */
export interface AccountRouteOptions {
  db: Kysely<Database>;
  /** The bearer token writes need; undefined turns the write endpoints off. */
  token?: string;
  maxBodyBytes: number;
  policy: AccountPolicy;
  /** The token bucket of each anonymous client of the username check; none: no limit. */
  usernameCheckLimit?: { ratePerSecond: number; burst: number };
  /** Who gets room when the API is busy; none: everyone, at once. */
  admission?: Admission;
}

/** How long a refused caller is told to wait, in seconds. */
const RETRY_AFTER_SECONDS = 1;

/** A request the API cannot serve now (no room, a slow or unreachable database): a 503. */
class Unavailable extends Error {
  override name = "Unavailable";
}

/** What anonymous callers get instead of `TAKEN`, `HELD` or `LOOKALIKE`. */
export const UNAVAILABLE = "UNAVAILABLE";
const PRIVATE_REASONS: ReadonlySet<string> = new Set(["TAKEN", "HELD", "LOOKALIKE"]);

const CreateBody = z.object({
  username: z.string().max(1_024).optional(),
  // Its length is the policy's to judge (256 code points once cleaned); the body limit bounds it.
  display_name: z.string().nullable().optional(),
}).strict();

const RenameBody = z.object({ username: z.string().max(1_024) }).strict();

const ACCOUNT_PATH = /^\/v1\/accounts\/([^/]+)$/;
const USERNAME_PATH = /^\/v1\/usernames\/([^/]+)$/;

/** The API's routes, as one route. */
export function accountRoute(options: AccountRouteOptions): Route {
  const limit = options.usernameCheckLimit && new TokenBuckets(options.usernameCheckLimit);
  const inTransaction = async <T>(
    kind: AdmissionClass,
    fn: (trx: Transaction<Database>) => Promise<T>,
  ): Promise<T> => {
    const release = options.admission ? await options.admission.enter(kind) : () => {};
    if (release === undefined) throw new Unavailable("no room");
    try {
      return await options.db.transaction().execute(fn);
    } catch (error) {
      if (isTransient(error)) throw new Unavailable("database busy", { cause: error });
      throw error;
    } finally {
      release();
    }
  };
  const write = async (request: Request, run: () => Promise<Response>) => {
    if (options.token === undefined) {
      return errorResponse(
        403,
        "writes_disabled",
        "Cannot change accounts: this server has no API_TOKEN, so the write endpoints are off",
      );
    }
    if (!(await hasBearerToken(request, options.token))) {
      return errorResponse(
        401,
        "unauthorized",
        "Cannot change accounts: a valid bearer token is required",
        {},
        { "www-authenticate": BEARER_CHALLENGE },
      );
    }
    return await answer(run);
  };
  const readerClass = async (request: Request): Promise<AdmissionClass> =>
    options.token !== undefined && await hasBearerToken(request, options.token)
      ? "priority"
      : "anonymous";

  const check = async (request: Request, client: RequestClient, name: string) => {
    const kind = await readerClass(request);
    const authenticated = kind === "priority";
    if (!authenticated && limit) {
      const taken = limit.take(client.address);
      if (!taken.allowed) {
        const response = errorResponse(
          429,
          "rate_limited",
          `Cannot check more names now: try again in ${taken.retryAfterSeconds} s`,
        );
        response.headers.set("retry-after", String(taken.retryAfterSeconds));
        return response;
      }
    }
    const answer = await inTransaction(kind, (trx) => checkUsername(trx, name, options.policy));
    return jsonResponse(200, authenticated ? answer : anonymousView(answer));
  };

  return async (request, url, client) => {
    const { pathname } = url;
    const method = request.method;
    // A flood of anonymous reads is refused before any other work, when there is no room.
    if (
      method === "GET" && options.admission && !request.headers.has("authorization") &&
      pathname.startsWith("/v1/") && !options.admission.hasRoom("anonymous")
    ) {
      return unavailable();
    }
    if (pathname === "/openapi.json") {
      return method === "GET" ? jsonResponse(200, OPENAPI_DOCUMENT) : notAllowed("GET");
    }
    if (pathname === "/v1/accounts") {
      if (method !== "POST") return notAllowed("POST");
      return await write(request, async () => {
        const body = await readJsonBody(request, CreateBody, options.maxBodyBytes);
        const account = await inTransaction("priority", (trx) =>
          createAccount(
            trx,
            { username: body.username, displayName: body.display_name },
            options.policy,
          ));
        return jsonResponse(201, account, { location: `/v1/accounts/${account.public_id}` });
      });
    }
    const accountMatch = ACCOUNT_PATH.exec(pathname);
    if (accountMatch) {
      const publicId = accountMatch[1]!;
      if (method === "GET") {
        return await answer(async () => {
          const kind = await readerClass(request);
          return jsonResponse(
            200,
            await inTransaction(kind, (trx) => resolveAccount(trx, publicId)),
          );
        });
      }
      if (method === "PATCH") {
        return await write(request, async () => {
          const body = await readJsonBody(request, RenameBody, options.maxBodyBytes);
          return jsonResponse(
            200,
            await inTransaction(
              "priority",
              (trx) => renameAccount(trx, publicId, body.username, options.policy),
            ),
          );
        });
      }
      if (method === "DELETE") {
        return await write(request, async () => {
          await inTransaction("priority", (trx) => deleteAccount(trx, publicId, options.policy));
          return jsonResponse(200, { public_id: publicId, status: "deleted" });
        });
      }
      return notAllowed("GET, PATCH, DELETE");
    }
    const usernameMatch = USERNAME_PATH.exec(pathname);
    if (usernameMatch) {
      if (method !== "GET") return notAllowed("GET");
      return await answer(async () => {
        let name: string;
        try {
          name = decodeURIComponent(usernameMatch[1]!);
        } catch {
          return errorResponse(
            400,
            "invalid_path",
            "Cannot read the username: bad percent-encoding",
          );
        }
        return await check(request, client, name);
      });
    }
    return undefined;
  };
}

/** Runs a handler, turning refusals into their status codes. */
async function answer(run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof BodyError) return error.response;
    if (error instanceof AccountError) return accountErrorResponse(error);
    if (error instanceof Unavailable) return unavailable();
    throw error;
  }
}

/** 503 with `Retry-After`: the API is busy or its database slow; the request changed nothing. */
function unavailable(): Response {
  return errorResponse(
    503,
    "unavailable",
    `Cannot answer now: the service is busy; try again in ${RETRY_AFTER_SECONDS} s`,
    {},
    { "retry-after": String(RETRY_AFTER_SECONDS) },
  );
}

/**
 * Whether a database error says "not now" rather than "never": a statement or lock timeout, no
 * connection within the pool's wait, a server shutting down, out of connections or unreachable.
 */
function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (/^(08|53|57)/.test(code) || code === "55P03" || code === "40001" || code === "40P01") {
      return true;
    }
    if (/^E(CONNREFUSED|CONNRESET|TIMEDOUT|PIPE|HOSTUNREACH|NOTFOUND|AI_AGAIN)$/.test(code)) {
      return true;
    }
  }
  const message = error instanceof Error ? error.message : "";
  // node-postgres's pool and client say these without a code.
  return /timeout exceeded when trying to connect|Connection terminated/i.test(message);
}

const STATUS: Record<AccountError["kind"], number> = {
  invalid_username: 400,
  invalid_display_name: 400,
  username_unavailable: 409,
  not_found: 404,
  gone: 410,
  legacy_owned: 409,
};

/** What each refusal says over HTTP: fixed words, so no answer repeats the caller's input. */
const MESSAGES: Record<AccountError["kind"], string> = {
  invalid_username: "Cannot use this username: the policy refuses it (see reasons)",
  invalid_display_name: "Cannot use this display_name (see reasons)",
  username_unavailable: "Cannot use this username: it is not available (see reasons)",
  not_found: "Cannot find the account: no such public ID",
  gone: "Cannot use the account: it was deleted",
  legacy_owned:
    "Cannot delete the account: it mirrors a legacy user; delete it in the legacy system and the sync tombstones it",
};

function accountErrorResponse(error: AccountError): Response {
  const details = error.kind === "invalid_username" || error.kind === "username_unavailable"
    ? { reasons: error.reasons, suggestions: error.suggestions }
    : error.kind === "invalid_display_name"
    ? { reasons: error.reasons }
    : {};
  return errorResponse(STATUS[error.kind], error.kind, MESSAGES[error.kind], details);
}

/**
 * A check as anonymous callers see it: taken, held (someone's recent name) and look-alike (of
 * an existing name) all read `UNAVAILABLE`, so the check cannot list who has which name.
 */
function anonymousView(check: UsernameCheck): Omit<UsernameCheck, "reasons"> & {
  reasons: string[];
} {
  if (!check.reasons.some((reason) => PRIVATE_REASONS.has(reason))) return check;
  return { ...check, reasons: [UNAVAILABLE] };
}

function notAllowed(allow: string): Response {
  const response = errorResponse(
    405,
    "method_not_allowed",
    `Cannot serve this method here: use ${allow}`,
  );
  response.headers.set("allow", allow);
  return response;
}
