/**
 * Logging: JSON lines (on a terminal, human lines) on stderr through LogTape, one category root for
 * the service. Logs carry no personal data: an error is logged as its name, SQLSTATE and message,
 * never with a database error's `detail` (which repeats row values: "Key (username)=(…) already
 * exists"), and a URL's credentials in a message (a library quoting a connection string) are
 * masked.
 */
import {
  configure,
  dispose,
  getLogger,
  getStreamSink,
  jsonLinesFormatter,
  type Logger,
  type LogRecord,
} from "@logtape/logtape";
import type { Config } from "../config.ts";

/** The root category of every logger of the service. */
export const LOG_CATEGORY = "identity-sync";

/** How log records are written: JSON lines, or one human line each. */
export type LogFormat = "json" | "pretty";

/**
 * Sends the service's logs, at `level` and above, to stderr: human lines on a terminal, JSON lines
 * everywhere else (a file, a pipe, a collector), unless `format` says which.
 */
export async function setupLogging(
  level: Config["logLevel"],
  options: { format?: LogFormat; terminal?: boolean } = {},
): Promise<void> {
  const terminal = options.terminal ?? Deno.stderr.isTerminal();
  const format = options.format ?? (terminal ? "pretty" : "json");
  await configure({
    reset: true,
    sinks: {
      stderr: getStreamSink(Deno.stderr.writable, {
        formatter: format === "json"
          ? (record) => jsonLinesFormatter(withoutErrorDetails(record))
          : (record) => prettyLine(withoutErrorDetails(record), { clearLine: terminal }),
      }),
    },
    loggers: [
      { category: [LOG_CATEGORY], lowestLevel: level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}

/**
 * `record` as one line for a person: time, level, where, the message, then the properties the
 * message does not show (`seconds=1.2`). On a terminal it first clears the line, so a progress bar
 * drawn there is replaced rather than run into.
 */
export function prettyLine(record: LogRecord, options: { clearLine?: boolean } = {}): string {
  const time = new Date(record.timestamp).toISOString().slice(11, 19);
  const where = record.category.slice(1).join(".") || "main";
  const text = (value: unknown) => typeof value === "string" ? value : JSON.stringify(value);
  const message = record.message.map((part, i) => i % 2 === 0 ? part : text(part)).join("");
  const shown = new Set(
    typeof record.rawMessage === "string"
      ? [...record.rawMessage.matchAll(/\{([^{}]+)\}/g)].map((match) => match[1])
      : [],
  );
  const rest = Object.entries(record.properties)
    .filter(([key, value]) => !shown.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${text(value)}`);
  return `${
    options.clearLine ? "\r\x1b[2K" : ""
  }${time} ${record.level.toUpperCase()} ${where}: ${message}${
    rest.length > 0 ? `  ${rest.join(" ")}` : ""
  }\n`;
}

/** Flushes and closes the log sinks; call before the process exits. */
export async function closeLogging(): Promise<void> {
  await dispose();
}

/** A logger below the service's root category, e.g. `logger("migrate")`. */
export function logger(...category: string[]): Logger {
  return getLogger([LOG_CATEGORY, ...category]);
}

/** What a log keeps of an error: its name, its SQLSTATE when it has one, its message, its cause's. */
export interface LoggedError {
  name: string;
  sqlstate?: string;
  message: string;
  cause?: LoggedError;
}

/**
 * `error` as logs carry it. A PostgreSQL error's message names the constraint or the type, while
 * its `detail`, `where` and `hint` may repeat the row's values: only the message is kept.
 */
export function loggedError(error: unknown): LoggedError {
  if (!(error instanceof Error)) {
    return { name: typeof error, message: withoutCredentials(String(error)) };
  }
  const code = (error as { code?: unknown }).code;
  const logged: LoggedError = { name: error.name, message: withoutCredentials(error.message) };
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) logged.sqlstate = code;
  if (error.cause !== undefined) logged.cause = loggedError(error.cause);
  return logged;
}

/**
 * `text` with what may be a credential masked: the user and password of any `scheme://…@` and
 * the value of any `password=`. (`new URL` quotes a URL it cannot parse in its error.)
 */
export function withoutCredentials(text: string): string {
  return text
    .replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s'"]*@/g, "$1***@")
    .replace(/(password=)[^\s&'"]*/gi, "$1***");
}

/** An error in one line for an operator: `message (SQLSTATE 23505)`. */
export function errorLine(error: unknown): string {
  const { message, sqlstate } = loggedError(error);
  return sqlstate ? `${message} (SQLSTATE ${sqlstate})` : message;
}

/** `record` with every error among its values (in the message and the properties) made safe. */
export function withoutErrorDetails(record: LogRecord): LogRecord {
  return {
    ...record,
    message: record.message.map((part, i) =>
      i % 2 === 1 && part instanceof Error ? errorLine(part) : part
    ),
    properties: Object.fromEntries(
      Object.entries(record.properties).map((
        [key, value],
      ) => [key, value instanceof Error ? loggedError(value) : value]),
    ),
  };
}
