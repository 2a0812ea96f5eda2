/**
 * Configuration: environment variables with command-line flags overriding,
 * parsed once at start-up, before anything touches a database.
 */
import { z } from "zod";

/** A table name split into schema and table. */
export interface QualifiedName {
  schema: string;
  name: string;
}

/** The validated configuration every command receives. */
export interface Config {
  /** The legacy database; undefined means the embedded default. */
  legacyDatabaseUrl?: string;
  /** The identity database; defaults to the legacy database. */
  identityDatabaseUrl?: string;
  legacyTable: QualifiedName;
  legacyColumns: {
    id: string;
    username: string;
    createdAt: string;
    /** Undefined when the legacy table has no display name column. */
    displayName?: string;
  };
  /** The zone a zone-less legacy creation time (`timestamp`, `date`) is read in: an IANA name. */
  legacyTimezone: string;
  /** Names that no look-alike may take (matched by confusable skeleton). */
  protectedNames: string[];
  logLevel: "debug" | "info" | "warning" | "error";
  /** JSON lines, or human lines; unset: human lines on a terminal, JSON lines otherwise. */
  logFormat?: "json" | "pretty";
  embedded: { dataDir: string; port: number };
  /** The replication slot and publication on the legacy database. */
  replication: {
    slotName: string;
    publicationName: string;
    /**
     * Keep the slot over a failover of the legacy primary (`failover = true`, PostgreSQL 17+,
     * synchronized to a physical standby); older servers cannot, and say so at start-up.
     */
    slotFailover: boolean;
  };
  snapshot: {
    /** Workers of this process claiming ranges. */
    workers: number;
    /** Target number of legacy rows per range. */
    rangeSize: number;
    /** Compute everything, write nothing to the identity tables. */
    dryRun: boolean;
    /** Where to write the per-account decisions as JSON lines, if anywhere. */
    reportFile?: string;
  };
  demo: {
    /** Legacy rows the demo generates. */
    rows: number;
  };
  sync: {
    /** Days a released name (deleted or renamed account) stays on hold. */
    holdDays: number;
    /** Seconds between heartbeat messages on the legacy database. */
    heartbeatSeconds: number;
    /** Changes per target transaction, at most (a bigger source transaction is split). */
    batchChanges: number;
    /** Milliseconds a batch waits for more source transactions before it commits. */
    batchMs: number;
    /**
     * Identity connections that apply a large batch's in-place updates side by side, each
     * share in a transaction of its own, besides the daemon's own (1: that one alone, no
     * parallel apply).
     */
    applyConnections: number;
    /**
     * Whether the legacy server streams a transaction larger than its `logical_decoding_work_mem`
     * while it is still in progress (spooled into `identity.stream_spool`, applied at its commit),
     * instead of spilling it to disk and sending it only once it has decoded all of it.
     */
    streamInProgress: boolean;
    /**
     * The legacy walsender's `logical_decoding_work_mem` for the daemon's stream, while
     * `streamInProgress`: the memory past which it starts streaming the largest transaction in
     * progress (PostgreSQL's units, e.g. `8MB`).
     */
    decodingWorkMem: string;
    /**
     * Milliseconds between the stream's unprompted status updates to the legacy server (they
     * repeat the acknowledged position and keep a busy stream's connection alive).
     */
    statusMs: number;
    /**
     * Seconds without a message from the legacy server, while the daemon has handled all that
     * came, after which the stream's connection is dropped and made again (PostgreSQL's own
     * `wal_receiver_timeout`); a reply is asked for at half of it, so a live server always sends
     * one in time.
     */
    receiveTimeoutSeconds: number;
    /**
     * Seconds within which a standby daemon takes the slot over once the daemon streaming it dies
     * or its connection drops (it looks at the slot ten times as often).
     */
    standbyTakeoverSeconds: number;
  };
  /** `dead-letters`: retry the unresolved ones instead of only listing them. */
  deadLetters: { retry: boolean };
  /** The operations listener (`/metrics`, `/healthz`, `/readyz`), for Prometheus and probes. */
  ops: {
    /** Interface to listen on. */
    host: string;
    /** Port to listen on; 0 picks a free one (logged at start-up). */
    port: number;
    /** `/readyz` answers 503 when the apply lag is above this many seconds. */
    readyMaxLagSeconds: number;
  };
  /** The account API (`/v1/*`, `/openapi.json`): its listener and what it takes under load. */
  api: {
    /** Interface to listen on. */
    host: string;
    /** Port to listen on; 0 picks a free one (logged at start-up). */
    port: number;
    /** Bearer token the write endpoints require; undefined turns them off. */
    token?: string;
    /** Largest request body accepted, in bytes. */
    maxBodyBytes: number;
    /** The token bucket of each anonymous client (by address) of `GET /v1/usernames/{name}`. */
    usernameCheck: { ratePerSecond: number; burst: number };
    /** Requests worked on at once; more wait (writes) or get 503 (anonymous reads). */
    maxInFlight: number;
    /** Of those, anonymous reads at most: below the pool size, so writes always find room. */
    anonymousInFlight: number;
    /** Milliseconds a request may take in all before it is answered 503. */
    requestTimeoutMs: number;
    /** Database connections of the API's pool. */
    poolSize: number;
    /** Milliseconds a request waits for a pool connection before it is answered 503. */
    acquireTimeoutMs: number;
    /** The PostgreSQL `statement_timeout` of the API's connections, in milliseconds. */
    statementTimeoutMs: number;
  };
  /** `status`: print JSON instead of a table. */
  status: { json: boolean };
}

/** A configuration value that cannot be used; its message is one line for the operator. */
export class ConfigError extends Error {
  /** The environment variable (or flag) that holds the bad value. */
  readonly setting: string;

  constructor(setting: string, message: string) {
    super(message);
    this.name = "ConfigError";
    this.setting = setting;
  }
}

/** Every setting: its environment variable and the flag that overrides it. */
export const SETTINGS = {
  legacyDatabaseUrl: { env: "LEGACY_DATABASE_URL", flag: "legacy-database-url" },
  identityDatabaseUrl: { env: "IDENTITY_DATABASE_URL", flag: "identity-database-url" },
  legacyTable: { env: "LEGACY_TABLE", flag: "legacy-table" },
  idColumn: { env: "LEGACY_ID_COLUMN", flag: "legacy-id-column" },
  usernameColumn: { env: "LEGACY_USERNAME_COLUMN", flag: "legacy-username-column" },
  createdAtColumn: { env: "LEGACY_CREATED_AT_COLUMN", flag: "legacy-created-at-column" },
  displayNameColumn: { env: "LEGACY_DISPLAY_NAME_COLUMN", flag: "legacy-display-name-column" },
  legacyTimezone: { env: "LEGACY_TIMEZONE", flag: "legacy-timezone" },
  protectedNames: { env: "PROTECTED_NAMES", flag: "protected-names" },
  logLevel: { env: "LOG_LEVEL", flag: "log-level" },
  logFormat: { env: "LOG_FORMAT", flag: "log-format" },
  embeddedDataDir: { env: "EMBEDDED_PG_DIR", flag: "embedded-pg-dir" },
  embeddedPort: { env: "EMBEDDED_PG_PORT", flag: "embedded-pg-port" },
  slotName: { env: "SLOT_NAME", flag: "slot-name" },
  publicationName: { env: "PUBLICATION_NAME", flag: "publication-name" },
  slotFailover: { env: "SLOT_FAILOVER", flag: "slot-failover" },
  workers: { env: "SNAPSHOT_WORKERS", flag: "workers" },
  rangeSize: { env: "SNAPSHOT_RANGE_SIZE", flag: "range-size" },
  dryRun: { env: "SNAPSHOT_DRY_RUN", flag: "dry-run" },
  reportFile: { env: "SNAPSHOT_REPORT_FILE", flag: "report" },
  demoRows: { env: "DEMO_ROWS", flag: "rows" },
  holdDays: { env: "HOLD_DAYS", flag: "hold-days" },
  heartbeatSeconds: { env: "HEARTBEAT_SECONDS", flag: "heartbeat-seconds" },
  batchChanges: { env: "SYNC_BATCH_CHANGES", flag: "batch-changes" },
  batchMs: { env: "SYNC_BATCH_MS", flag: "batch-ms" },
  applyConnections: { env: "SYNC_APPLY_CONNECTIONS", flag: "apply-connections" },
  streamInProgress: { env: "SYNC_STREAM_IN_PROGRESS", flag: "stream-in-progress" },
  decodingWorkMem: { env: "SYNC_DECODING_WORK_MEM", flag: "decoding-work-mem" },
  statusMs: { env: "SYNC_STATUS_MS", flag: "status-ms" },
  receiveTimeoutSeconds: { env: "SYNC_RECEIVE_TIMEOUT_SECONDS", flag: "receive-timeout-seconds" },
  standbyTakeoverSeconds: { env: "STANDBY_TAKEOVER_SECONDS", flag: "standby-takeover-seconds" },
  retry: { env: "DEAD_LETTERS_RETRY", flag: "retry" },
  opsHost: { env: "OPS_HTTP_HOST", flag: "ops-http-host" },
  opsPort: { env: "OPS_HTTP_PORT", flag: "ops-http-port" },
  readyMaxLagSeconds: { env: "READY_MAX_LAG_SECONDS", flag: "ready-max-lag-seconds" },
  apiHost: { env: "API_HTTP_HOST", flag: "api-http-host" },
  apiPort: { env: "API_HTTP_PORT", flag: "api-http-port" },
  apiToken: { env: "API_TOKEN", flag: "api-token" },
  apiMaxBodyBytes: { env: "API_MAX_BODY_BYTES", flag: "api-max-body-bytes" },
  usernameCheckRate: { env: "USERNAME_CHECK_RATE", flag: "username-check-rate" },
  usernameCheckBurst: { env: "USERNAME_CHECK_BURST", flag: "username-check-burst" },
  apiMaxInFlight: { env: "API_MAX_IN_FLIGHT", flag: "api-max-in-flight" },
  apiAnonymousInFlight: { env: "API_ANONYMOUS_IN_FLIGHT", flag: "api-anonymous-in-flight" },
  apiRequestTimeoutMs: { env: "API_REQUEST_TIMEOUT_MS", flag: "api-request-timeout-ms" },
  apiPoolSize: { env: "API_DB_POOL_SIZE", flag: "api-db-pool-size" },
  apiAcquireTimeoutMs: { env: "API_DB_ACQUIRE_TIMEOUT_MS", flag: "api-db-acquire-timeout-ms" },
  apiStatementTimeoutMs: { env: "API_STATEMENT_TIMEOUT_MS", flag: "api-statement-timeout-ms" },
  statusJson: { env: "STATUS_JSON", flag: "json" },
} as const;

/**
 * Settings no longer read, each with what replaces it. Given anyway, they stop the program: one
 * listener became two, and guessing which one an old port meant could expose the wrong one.
 */
export const RETIRED_SETTINGS = {
  HTTP_HOST: {
    flag: "http-host",
    instead: "OPS_HTTP_HOST (metrics and probes) and API_HTTP_HOST (the account API)",
  },
  HTTP_PORT: {
    flag: "http-port",
    instead: "OPS_HTTP_PORT (metrics and probes) and API_HTTP_PORT (the account API)",
  },
} as const;

/** Settings given as bare flags (`--dry-run`), true when present. */
export const BOOLEAN_FLAGS: ReadonlySet<string> = new Set(["dry-run", "retry", "json"]);

type SettingKey = keyof typeof SETTINGS;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
const PUBLICATION_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const identifier = z.string().regex(
  IDENTIFIER,
  "must be a plain SQL identifier (letters, digits, _ or $, starting with a letter or _)",
);

/** A yes or no, given as true, false, 1 or 0. */
function trueOrFalse(fallback: boolean) {
  return z.enum(["true", "false", "1", "0"], "must be true or false").default(
    String(fallback) as "true",
  )
    .transform((value) => value === "true" || value === "1");
}

/** A whole number from `min` to `max`, given as a string. */
function integer(
  fallback: number,
  min: number,
  max: number,
): z.ZodType<number, string | undefined> {
  return z.string().default(String(fallback)).transform((value, ctx) => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max) {
      ctx.addIssue({
        code: "custom",
        message: `must be a whole number from ${min} to ${max}`,
      });
      return z.NEVER;
    }
    return number;
  });
}

/** A number greater than 0 and at most `max`, decimals allowed, given as a string. */
function positiveNumber(fallback: number, max: number): z.ZodType<number, string | undefined> {
  return z.string().default(String(fallback)).transform((value, ctx) => {
    const number = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || !(number > 0) || number > max) {
      ctx.addIssue({
        code: "custom",
        message: `must be a number greater than 0 and at most ${max} (e.g. 0.5)`,
      });
      return z.NEVER;
    }
    return number;
  });
}

const SLOT_NAME = /^[a-z0-9_]{1,63}$/;

// Letters first, no spaces or quotes: a name both Intl and PostgreSQL read as a zone, never an
// offset (`+05:30`, which Intl accepts) or a POSIX rule (`UTC+3`, read with the opposite sign).
const TIME_ZONE_NAME = /^[A-Za-z][A-Za-z0-9_-]*(\/[A-Za-z0-9_+-]+)*$/;

/** Whether `value` names a time zone of the IANA database. */
function isTimeZoneName(value: string): boolean {
  if (!TIME_ZONE_NAME.test(value)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** Whether a URL's authority lists hosts (`h1:5432,h2:5432`), as libpq allows and this client does not. */
function namesSeveralHosts(value: string): boolean {
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(value)?.[1] ?? "";
  return authority.slice(authority.lastIndexOf("@") + 1).includes(",");
}

const databaseUrl = z.string().refine((value) => !namesSeveralHosts(value), {
  message:
    "names several hosts, and this client connects to one: name the primary, or a DNS name or virtual IP that follows it over a failover (docs/runbook.md, Legacy primary failover)",
  abort: true,
}).refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "postgres:" || url.protocol === "postgresql:") &&
        url.hostname !== "";
    } catch {
      return false;
    }
  },
  "must be a postgres:// or postgresql:// URL with a host (percent-encode / @ : # ? in a password)",
);

const host = z.string().regex(/^[A-Za-z0-9.:\[\]-]+$/, "must be a host name or IP address")
  .default("127.0.0.1");

const SCHEMAS = {
  legacyDatabaseUrl: databaseUrl.optional(),
  identityDatabaseUrl: databaseUrl.optional(),
  legacyTable: z.string().default("public.users").transform((value, ctx) => {
    const parts = value.split(".");
    const [schema, name] = parts.length === 1 ? ["public", parts[0]!] : parts;
    if (parts.length > 2 || !IDENTIFIER.test(schema ?? "") || !IDENTIFIER.test(name ?? "")) {
      ctx.addIssue({
        code: "custom",
        message: "must be table or schema.table, each a plain SQL identifier",
      });
      return z.NEVER;
    }
    return { schema: schema!, name: name! };
  }),
  idColumn: identifier.default("id"),
  usernameColumn: identifier.default("username"),
  createdAtColumn: identifier.default("created_at"),
  // An empty value says the legacy table has no display name column.
  displayNameColumn: z.union([z.literal(""), identifier]).default("display_name"),
  legacyTimezone: z.string().default("UTC").refine(
    isTimeZoneName,
    "must be an IANA time zone name such as UTC or America/New_York",
  ),
  protectedNames: z.string().default("").transform((value) =>
    value.split(",").map((name) => name.trim()).filter((name) => name !== "")
  ),
  logLevel: z.enum(["debug", "info", "warning", "error"]).default("info"),
  logFormat: z.enum(["json", "pretty"]).optional(),
  embeddedDataDir: z.string().min(1, "must not be empty").default(".data/postgres"),
  embeddedPort: integer(54329, 1024, 65535),
  slotName: z.string()
    .regex(SLOT_NAME, "must be 1 to 63 of a-z, 0-9 and _ (a replication slot name)")
    .default("identity_sync"),
  // Lower case only: the publication is created quoted but named unquoted in
  // `publication_names`, where PostgreSQL folds it, so `IdentitySync` would be another name.
  publicationName: z.string()
    .regex(PUBLICATION_NAME, "must be 1 to 63 of a-z, 0-9 and _, starting with a letter or _")
    .default("identity_sync"),
  slotFailover: trueOrFalse(true),
  workers: integer(navigator.hardwareConcurrency || 1, 1, 256),
  rangeSize: integer(50_000, 100, 10_000_000),
  dryRun: trueOrFalse(false),
  reportFile: z.string().min(1, "must be a file path").optional(),
  demoRows: integer(100_000, 0, 1_000_000_000),
  holdDays: integer(90, 0, 36_500),
  heartbeatSeconds: integer(5, 1, 3_600),
  batchChanges: integer(5_000, 1, 1_000_000),
  batchMs: integer(50, 1, 60_000),
  applyConnections: integer(2, 1, 64),
  streamInProgress: trueOrFalse(true),
  decodingWorkMem: z.string().default("8MB").refine(
    (value) => {
      const match = /^(\d+)(kB|MB|GB)$/.exec(value);
      if (!match) return false;
      const kB = Number(match[1]) * { kB: 1, MB: 1024, GB: 1024 * 1024 }[match[2] as "kB"];
      return kB >= 64 && kB <= 2 * 1024 * 1024;
    },
    "must be a size from 64kB to 2GB in kB, MB or GB (as PostgreSQL writes it, e.g. 8MB)",
  ),
  statusMs: integer(10_000, 10, 60_000),
  receiveTimeoutSeconds: integer(60, 2, 3_600),
  standbyTakeoverSeconds: integer(10, 1, 3_600),
  retry: trueOrFalse(false),
  opsHost: host,
  opsPort: integer(9464, 0, 65535),
  readyMaxLagSeconds: integer(30, 1, 86_400),
  apiHost: host,
  apiPort: integer(8080, 0, 65535),
  apiToken: z.string().min(16, "must be at least 16 characters").optional(),
  apiMaxBodyBytes: integer(16_384, 256, 10_485_760),
  usernameCheckRate: positiveNumber(2, 100_000),
  usernameCheckBurst: integer(20, 1, 1_000_000),
  apiMaxInFlight: integer(64, 2, 100_000),
  apiAnonymousInFlight: integer(8, 1, 100_000),
  apiRequestTimeoutMs: integer(10_000, 100, 600_000),
  apiPoolSize: integer(10, 2, 1_000),
  apiAcquireTimeoutMs: integer(2_000, 10, 600_000),
  apiStatementTimeoutMs: integer(5_000, 10, 600_000),
  statusJson: trueOrFalse(false),
} satisfies Record<SettingKey, z.ZodType>;

/** The raw inputs: the environment and the flags given on the command line. */
export interface ConfigSources {
  env: Record<string, string | undefined>;
  flags?: Record<string, string | undefined>;
}

/**
 * Builds the configuration from the environment and flags.
 *
 * @throws {ConfigError} naming the first setting whose value cannot be used.
 */
export function parseConfig(sources: ConfigSources): Config {
  for (const [env, { flag, instead }] of Object.entries(RETIRED_SETTINGS)) {
    const given = sources.flags?.[flag] !== undefined ? `--${flag}` : env in sources.env ? env : "";
    if (given !== "") {
      throw new ConfigError(
        given,
        `${given} is no longer read: the service has two listeners now; set ${instead}`,
      );
    }
  }
  const value = <K extends SettingKey>(key: K): z.output<(typeof SCHEMAS)[K]> => {
    const { env, flag } = SETTINGS[key];
    const fromFlag = sources.flags?.[flag];
    const raw = fromFlag ?? sources.env[env];
    const optional = key.endsWith("Url") || key === "apiToken";
    const result = SCHEMAS[key].safeParse(raw === "" && optional ? undefined : raw);
    if (!result.success) {
      const where = fromFlag !== undefined ? `--${flag}` : env;
      const message = result.error.issues[0]?.message ?? "is invalid";
      const shown = key === "apiToken"
        ? "***"
        : key.endsWith("Url")
        ? describeUrl(String(raw))
        : String(raw);
      throw new ConfigError(where, `${where}=${JSON.stringify(shown)} ${message}`);
    }
    return result.data as z.output<(typeof SCHEMAS)[K]>;
  };
  const displayName = value("displayNameColumn");
  const legacyDatabaseUrl = value("legacyDatabaseUrl");
  const identityDatabaseUrl = value("identityDatabaseUrl");
  if (identityDatabaseUrl !== undefined && legacyDatabaseUrl === undefined) {
    const { env } = SETTINGS.identityDatabaseUrl;
    throw new ConfigError(
      env,
      `${env} is set but LEGACY_DATABASE_URL is not: set both, or neither for the embedded default`,
    );
  }
  const ops = {
    host: value("opsHost"),
    port: value("opsPort"),
    readyMaxLagSeconds: value("readyMaxLagSeconds"),
  };
  const api = {
    host: value("apiHost"),
    port: value("apiPort"),
    token: value("apiToken"),
    maxBodyBytes: value("apiMaxBodyBytes"),
    usernameCheck: {
      ratePerSecond: value("usernameCheckRate"),
      burst: value("usernameCheckBurst"),
    },
    maxInFlight: value("apiMaxInFlight"),
    anonymousInFlight: value("apiAnonymousInFlight"),
    requestTimeoutMs: value("apiRequestTimeoutMs"),
    poolSize: value("apiPoolSize"),
    acquireTimeoutMs: value("apiAcquireTimeoutMs"),
    statementTimeoutMs: value("apiStatementTimeoutMs"),
  };
  checkServing(ops, api);
  return {
    legacyDatabaseUrl,
    identityDatabaseUrl,
    legacyTable: value("legacyTable"),
    legacyColumns: {
      id: value("idColumn"),
      username: value("usernameColumn"),
      createdAt: value("createdAtColumn"),
      displayName: displayName === "" ? undefined : displayName,
    },
    legacyTimezone: value("legacyTimezone"),
    protectedNames: value("protectedNames"),
    logLevel: value("logLevel"),
    logFormat: value("logFormat"),
    embedded: { dataDir: value("embeddedDataDir"), port: value("embeddedPort") },
    replication: {
      slotName: value("slotName"),
      publicationName: value("publicationName"),
      slotFailover: value("slotFailover"),
    },
    snapshot: {
      workers: value("workers"),
      rangeSize: value("rangeSize"),
      dryRun: value("dryRun"),
      reportFile: value("reportFile"),
    },
    demo: { rows: value("demoRows") },
    sync: {
      holdDays: value("holdDays"),
      heartbeatSeconds: value("heartbeatSeconds"),
      batchChanges: value("batchChanges"),
      batchMs: value("batchMs"),
      applyConnections: value("applyConnections"),
      streamInProgress: value("streamInProgress"),
      decodingWorkMem: value("decodingWorkMem"),
      statusMs: value("statusMs"),
      receiveTimeoutSeconds: value("receiveTimeoutSeconds"),
      standbyTakeoverSeconds: value("standbyTakeoverSeconds"),
    },
    deadLetters: { retry: value("retry") },
    ops,
    api,
    status: { json: value("statusJson") },
  };
}

/** The settings that must agree with each other for the two listeners and the API's limits. */
function checkServing(ops: Config["ops"], api: Config["api"]): void {
  if (ops.port !== 0 && ops.port === api.port) {
    throw new ConfigError(
      "API_HTTP_PORT",
      `API_HTTP_PORT=${api.port} is also OPS_HTTP_PORT: each listener needs its own port, so exposing one never exposes the other`,
    );
  }
  if (api.anonymousInFlight >= api.poolSize || api.anonymousInFlight >= api.maxInFlight) {
    throw new ConfigError(
      "API_ANONYMOUS_IN_FLIGHT",
      `API_ANONYMOUS_IN_FLIGHT=${api.anonymousInFlight} must be less than API_DB_POOL_SIZE (${api.poolSize}) and API_MAX_IN_FLIGHT (${api.maxInFlight}), so anonymous reads never hold every connection a write needs`,
    );
  }
  for (
    const [name, ms] of [
      ["API_DB_ACQUIRE_TIMEOUT_MS", api.acquireTimeoutMs],
      ["API_STATEMENT_TIMEOUT_MS", api.statementTimeoutMs],
    ] as const
  ) {
    if (ms >= api.requestTimeoutMs) {
      throw new ConfigError(
        name,
        `${name}=${ms} must be less than API_REQUEST_TIMEOUT_MS (${api.requestTimeoutMs}), so the database gives up on a request before its answer is due`,
      );
    }
  }
}

/**
 * A database URL as it may be printed: its scheme and host (and port), nothing else. User names,
 * passwords (in the authority or as `?password=`), database names and options are left out, and
 * a URL that does not parse is cut to what surely is not a secret.
 */
export function describeUrl(value: string): string {
  try {
    const url = new URL(value);
    return url.hostname === "" ? `${url.protocol}//(no host)` : `${url.protocol}//${url.host}`;
  } catch {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value)?.[1];
    if (scheme === undefined) return "(not a URL)";
    // The host is whatever follows the authority's last `@`, up to a path, port or query; only
    // the letters a host name may hold are kept, so no part of a password can pass.
    const rest = value.slice(scheme.length + 1).replace(/^\/\//, "").split(/[?#]/)[0]!;
    const host = /^[A-Za-z0-9.-]+/.exec(rest.slice(rest.lastIndexOf("@") + 1))?.[0];
    return `${scheme}://${host ?? "(no host)"}`;
  }
}

/** The flag names every command accepts, for the argument parser. */
export const CONFIG_FLAGS: readonly string[] = Object.values(SETTINGS).map((s) => s.flag);

/** The argument parser's options for every configuration flag (retired ones too, to refuse them). */
export function configFlagOptions(): Record<string, { type: "string" | "boolean" }> {
  const retired = Object.values(RETIRED_SETTINGS).map((s) => s.flag);
  return Object.fromEntries(
    [...CONFIG_FLAGS, ...retired].map((
      flag,
    ) => [flag, { type: BOOLEAN_FLAGS.has(flag) ? "boolean" : "string" }]),
  );
}

/**
 * What to warn about the flags given: a secret on the command line (`--api-token`, a database
 * URL with a password) is visible to every user of the machine in the process list.
 */
export function secretFlagWarnings(flags: Record<string, string | undefined>): string[] {
  const warnings: string[] = [];
  const visible = (flag: string, env: string) =>
    `--${flag} is visible to every user of this machine in the process list: set ${env} instead`;
  if (flags[SETTINGS.apiToken.flag] !== undefined) {
    warnings.push(visible(SETTINGS.apiToken.flag, SETTINGS.apiToken.env));
  }
  for (const { flag, env } of [SETTINGS.legacyDatabaseUrl, SETTINGS.identityDatabaseUrl]) {
    const value = flags[flag];
    if (value !== undefined && hasPassword(value)) warnings.push(visible(flag, env));
  }
  return warnings;
}

function hasPassword(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.password !== "" || parsed.searchParams.has("password");
  } catch {
    return true;
  }
}
