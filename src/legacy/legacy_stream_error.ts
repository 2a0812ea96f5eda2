/** The one error the legacy stream raises for what its caller branches on. */

/** What went wrong, for the daemon to decide: retry, re-snapshot or stop. */
export type LegacyStreamErrorKind =
  /** The replication slot does not exist: the stream's position is gone; re-snapshot. */
  | "slot-missing"
  /** The slot was invalidated (its WAL was removed): changes were lost; re-snapshot. */
  | "slot-lost"
  /** Another process streams the slot (SQLSTATE 55006): a daemon in standby waits for it. */
  | "slot-in-use"
  /** The slot exists but cannot serve this stream (another database or plugin). */
  | "slot-unusable"
  /** The legacy server is a standby in recovery: wait for its promotion or another URL. */
  | "server-in-recovery"
  /**
   * The legacy server's WAL ends before changes already applied: another server, or a failover
   * to a standby that never had them. Streaming on would apply its different history on top.
   */
  | "server-behind"
  /** The publication does not exist or does not publish the legacy table. */
  | "publication-missing"
  /** The publication leaves out some of the table's changes (operations, rows or columns). */
  | "publication-changed"
  /** A column the sync maps is missing from the legacy table's replicated columns. */
  | "column-missing"
  /** A column the sync maps changed type. */
  | "column-changed"
  /** The legacy table was dropped (and perhaps created again): other rows, another table. */
  | "table-replaced"
  /** A change arrived without its key: the table's REPLICA IDENTITY cannot serve the stream. */
  | "no-key"
  /** The server refused with an error that retrying cannot mend (a permission, a missing object). */
  | "refused"
  /** The connection to the legacy database ended; retrying later may work. */
  | "connection-lost"
  /**
   * The server sent nothing for the receive timeout, not even a reply asked for: the connection
   * is taken for dead and dropped; retrying later may work.
   */
  | "server-silent"
  /** The server refused or ended replication with an error. */
  | "replication-failed";

/** A failure of the legacy change stream; `kind` says which, `cause` keeps the original. */
export class LegacyStreamError extends Error {
  override name = "LegacyStreamError";
  /** What went wrong. */
  readonly kind: LegacyStreamErrorKind;

  constructor(kind: LegacyStreamErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
  }
}

/** Classifies an error of the replication connection or the server; a `LegacyStreamError` stays as it is. */
export function streamErrorOf(
  error: unknown,
  context: { slotName: string; tableName: string },
): LegacyStreamError {
  if (error instanceof LegacyStreamError) return error;
  const { slotName, tableName } = context;
  const code = (error as { code?: string } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const [kind, text]: [LegacyStreamErrorKind, string] =
    code === "42704" && /replication slot/.test(message)
      ? ["slot-missing", `replication slot "${slotName}" does not exist`]
      : code === "42704" && /publication/.test(message)
      ? ["publication-missing", "its publication is gone"]
      : code === "55006" && /replication slot/.test(message)
      ? ["slot-in-use", `replication slot "${slotName}" is streamed by another process`]
      : code === "55000" && /invalidated|can no longer/.test(message)
      ? ["slot-lost", `replication slot "${slotName}" was invalidated`]
      // No SQLSTATE: the socket closed; a socket's error (ECONNREFUSED, ETIMEDOUT: a session
      // dropped at its deadline). 08: connection exception; 57: shutdown, terminated.
      : !code || /^E[A-Z]+$/.test(code) || code.startsWith("08") || code.startsWith("57")
      ? ["connection-lost", "the connection to the legacy database was lost"]
      : isPermanentServerError(error)
      ? ["refused", `the server refused replication for good (SQLSTATE ${code})`]
      : ["replication-failed", "the server refused replication"];
  return new LegacyStreamError(kind, `Cannot stream ${tableName}: ${text} (${message})`, {
    cause: error,
  });
}

/**
 * Whether `error` is a server error that retrying cannot mend: a refused login (class 28), a
 * missing database (3D) or schema (3F), a missing object or a refused permission (42), a feature
 * the server lacks (0A), or an object not in the state the statement needs (55000, e.g.
 * `wal_level` too low). Connection failures, shutdowns, resource limits, lock and serialization
 * conflicts and objects in use (55006, a slot another process streams) are transient.
 */
export function isPermanentServerError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code)) return false;
  return /^(28|3D|3F|42|0A)/.test(code) || code === "55000";
}
