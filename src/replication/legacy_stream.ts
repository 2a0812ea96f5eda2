/**
 * The legacy change stream: tails the slot's pgoutput stream, hands the legacy
 * table's changes to a handler in commit order, and tells the server only what
 * the caller acknowledged. `pg-logical-replication` 2.5.0 is driven around its
 * traps: its keep-alive timer (which acknowledges what was merely received) is
 * off, keep-alives are answered here, and an acknowledgement is sent one byte
 * short because the library adds one.
 */
import { LogicalReplicationService } from "pg-logical-replication";
import type { Config } from "../config.ts";
import type pg from "../db/pg.ts";
import { BRIEF_SESSION_MS, withClient } from "../db/sessions.ts";
import type { LegacyTable } from "../legacy/legacy_table.ts";
import { checkSource } from "../legacy/check_source.ts";
import { setSlotFailover } from "../legacy/slot_failover.ts";
import { logger } from "../logging/logging.ts";
import { PgoutputDecoder, type StreamEvent } from "./decode_pgoutput.ts";
import type {
  CommittedTransaction,
  HeartbeatMessage,
  LegacyChange,
  SourceTransaction,
} from "./legacy_change.ts";
import { LegacyStreamError, streamErrorOf } from "../legacy/legacy_stream_error.ts";
import { formatLsn, lsnBefore, parseLsn } from "../db/lsn.ts";
import { type DecodedMessage, RawTextPgoutputPlugin } from "./raw_text_pgoutput.ts";

const log = logger("stream");

/** Options of {@linkcode LegacyStream}. */
export interface LegacyStreamOptions {
  /** The legacy database; its user needs the REPLICATION attribute. */
  url: string;
  /** An existing pgoutput slot. */
  slotName: string;
  publicationName: string;
  /** Where to resume: the end LSN of the last applied, acknowledged transaction. */
  startLsn: string;
  /** Only this relation's changes are delivered. */
  table: LegacyTable;
  /** Raw (unquoted) column names. */
  legacyColumns: Config["legacyColumns"];
  /** Milliseconds between unprompted status updates, which keep a busy stream's connection alive. */
  statusIntervalMs?: number;
  /**
   * Milliseconds without a message from the server, while every message that came is handled,
   * after which the connection counts as dead and `run()` fails (`server-silent`); at half of it
   * a status update asks the server for a reply. Never below the session's `wal_sender_timeout`:
   * a walsender replaying a large transaction it filters out entirely sends a keep-alive only
   * every half of that. A server gone silent without a reset (a partition, a half-open
   * connection) otherwise holds the stream forever: TCP keep-alive does not reach the socket
   * under Deno. Undefined: no limit.
   */
  receiveTimeoutMs?: number;
  /** Settings of the replication session, e.g. `{ wal_sender_timeout: "30s" }`. */
  sessionSettings?: Record<string, string>;
  /**
   * The slot's `failover` property to keep (PostgreSQL 17+): set before streaming when the slot
   * has the other. Undefined leaves it as it is.
   */
  slotFailover?: boolean;
  /**
   * Have the server stream a transaction larger than its `logical_decoding_work_mem` while it is
   * still in progress (pgoutput protocol 2), instead of spilling it to disk and sending it once
   * it commits: its changes reach the handler's `spool`, then `commitSpooled` or `discard`.
   */
  streamInProgress?: boolean;
}

/** What the daemon does with the stream; every promise is awaited before the next message is read. */
export interface StreamHandler {
  /** A transaction that changes the legacy table starts. */
  begin(tx: SourceTransaction): Promise<void>;
  /** A change of the current transaction, as it arrives (a transaction is never buffered whole). */
  change(change: LegacyChange): Promise<void>;
  /** The transaction ended: acknowledge `tx.endLsn` once it is applied. */
  commit(tx: CommittedTransaction): Promise<void>;
  /** A transactional heartbeat message was seen (also when its transaction changed nothing else). */
  heartbeat?(message: HeartbeatMessage): Promise<void>;
  /**
   * A change of the in-progress transaction `xid`, made by its subtransaction `subXid` (`xid`
   * itself when none), its `lsn` not yet known. Other transactions' changes and commits may come
   * between two of them.
   */
  spool?(xid: number, subXid: number, change: LegacyChange): Promise<void>;
  /** The server stopped streaming a transaction that spooled changes, for now. */
  pauseSpool?(): Promise<void>;
  /** The streamed transaction `xid` (`subXid` equal to it) or its subtransaction `subXid` rolled back. */
  discard?(xid: number, subXid: number): Promise<void>;
  /** The streamed transaction committed: apply what it spooled, acknowledge `tx.endLsn` once applied. */
  commitSpooled?(tx: CommittedTransaction): Promise<void>;
  /** The server started streaming: the connection and the slot are good. */
  started?(): void;
}

// What PostgreSQL's own subscriber asks for: output that parses back the same anywhere.
const SESSION_DEFAULTS = { datestyle: "ISO", intervalstyle: "postgres", extra_float_digits: "3" };

/**
 * One replication session on the legacy slot. `run()` once per instance; to
 * resume after a stop or a failure, make a new one from the last acknowledged
 * LSN. Retries and back-off are the caller's.
 */
export class LegacyStream {
  readonly #options: LegacyStreamOptions;
  /** The last position the caller acknowledged. */
  #acknowledged: bigint;
  /** The highest position reported to the server (acknowledged, or a keep-alive's while idle). */
  #confirmed: bigint;
  /** The end of the last transaction handed to `commit()`. */
  #delivered: bigint;
  /** Messages read from the socket, and those fully handled: equal when none waits in the queue. */
  #received = 0;
  #handled = 0;
  /** Whether a message came, or the last one waiting was handled, since the watch last looked. */
  #heard = true;
  /** When the watch last found nothing heard. */
  #quietSince = 0;
  /** Whether a reply was asked for since. */
  #askedForReply = false;
  #decoder: PgoutputDecoder;
  #service: LogicalReplicationService | undefined;
  #handling: Promise<void> = Promise.resolve();
  #started = false;
  #stopping = false;
  #failure: { error: unknown } | undefined;

  constructor(options: LegacyStreamOptions) {
    this.#options = options;
    this.#acknowledged = this.#confirmed = this.#delivered = parseLsn(options.startLsn);
    this.#decoder = new PgoutputDecoder({ table: options.table, columns: options.legacyColumns });
  }

  /**
   * Streams changes to `handler` until `stop()` (then resolves) or until the
   * connection, the server or the handler fails (then rejects; a handler's own
   * error is passed on as it is).
   */
  async run(handler: StreamHandler): Promise<void> {
    if (this.#started) {
      throw new Error("Cannot run the legacy stream twice: make a new one to resume");
    }
    this.#started = true;
    const { url, slotName, publicationName, table, slotFailover, streamInProgress } = this.#options;
    if (streamInProgress && !(handler.spool && handler.discard && handler.commitSpooled)) {
      throw new TypeError(
        "Cannot stream transactions in progress: the handler has no spool, discard or commitSpooled",
      );
    }
    let walSenderTimeoutMs = 0;
    try {
      const slot = await withClient(url, async (client) => {
        const { rows } = await client.query<{ ms: number }>(
          "select setting::int as ms from pg_settings where name = 'wal_sender_timeout'",
        );
        walSenderTimeoutMs = rows[0]?.ms ?? 0;
        return await checkSource(client, {
          slotName,
          publicationName,
          table,
          columns: this.#options.legacyColumns,
          startLsn: this.#options.startLsn,
        });
      }, { timeoutMs: BRIEF_SESSION_MS });
      if (
        slotFailover !== undefined && slot.failover !== undefined && slot.failover !== slotFailover
      ) {
        await setSlotFailover(url, slotName, slotFailover);
        log.info("slot {slot} set to failover = {failover} (SLOT_FAILOVER)", {
          slot: slotName,
          failover: slotFailover,
        });
      }
    } catch (error) {
      throw this.#streamError(error);
    }
    if (this.#stopping) return;

    const service = new LogicalReplicationService(this.#clientConfig(), {
      acknowledge: { auto: false, timeoutSeconds: 0 },
      flowControl: { enabled: true },
    });
    this.#service = service;
    const plugin = new RawTextPgoutputPlugin(
      { publicationNames: [publicationName], messages: true, streaming: streamInProgress },
      () => {
        this.#received++;
        this.#heard = true;
      },
    );
    service.on("data", (_lsn: string, message: DecodedMessage) => this.#onData(message, handler));
    service.on("heartbeat", (walEnd: string, _time: number, shouldRespond: boolean) => {
      this.#heard = true;
      this.#onKeepalive(walEnd, shouldRespond);
    });
    service.on("error", (error: unknown) => this.#fail(this.#streamError(error)));
    service.on("start", () => {
      // A stop() while the library was still connecting found no connection to end.
      this.#heard = true;
      if (this.#stopping) service.stop().catch(() => {});
      // The caller's start is applied: the slot may catch up with it at once.
      else {
        this.#report(this.#confirmed);
        handler.started?.();
      }
    });
    const timer = setInterval(
      () => this.#report(this.#confirmed),
      this.#options.statusIntervalMs ?? 10_000,
    );
    const receiveTimeoutMs = this.#options.receiveTimeoutMs === undefined
      ? undefined
      : Math.max(this.#options.receiveTimeoutMs, walSenderTimeoutMs);
    const watch = receiveTimeoutMs === undefined ? undefined : setInterval(
      () => this.#watchSilence(receiveTimeoutMs),
      Math.min(1_000, receiveTimeoutMs / 4),
    );
    let ended: { error: unknown } | undefined;
    try {
      await service.subscribe(plugin, slotName, formatLsn(this.#acknowledged));
    } catch (error) {
      ended = { error };
    } finally {
      clearInterval(timer);
      clearInterval(watch);
      await service.stop().catch(() => {});
      // Handler calls in progress end before run() settles.
      await this.#handling;
      service.removeAllListeners();
    }
    if (this.#failure) throw this.#failure.error;
    if (this.#stopping) return;
    throw ended ? this.#streamError(ended.error) : new LegacyStreamError(
      "connection-lost",
      `Cannot stream ${table.name}: the server ended the stream`,
    );
  }

  /**
   * Tells the server that everything up to `endLsn` (a delivered transaction's
   * end) is applied: its `confirmed_flush_lsn` becomes exactly `endLsn`.
   */
  acknowledge(endLsn: string): Promise<void> {
    try {
      this.#acknowledge(parseLsn(endLsn));
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Stops delivering; once the handler call in progress has returned and `beforeClosing` has
   * settled, ends the stream, and `run()` resolves. Until then the connection stays open, so what
   * `beforeClosing` acknowledges (the batch in flight, committed) reaches the server.
   */
  async stop(beforeClosing?: () => Promise<void>): Promise<void> {
    this.#stopping = true;
    try {
      await this.#handling;
      await beforeClosing?.();
    } finally {
      await this.#service?.stop();
    }
  }

  #acknowledge(position: bigint): void {
    if (position <= this.#acknowledged) return;
    if (position > this.#delivered) {
      throw new RangeError(
        `Cannot acknowledge ${
          formatLsn(position)
        }: no transaction delivered so far ends there (the last ends at ${
          formatLsn(this.#delivered)
        })`,
      );
    }
    this.#acknowledged = position;
    if (position > this.#confirmed) this.#confirmed = position;
    this.#report(this.#confirmed);
  }

  #onData(message: DecodedMessage, handler: StreamHandler): Promise<void> {
    if (this.#failure || this.#stopping) return Promise.resolve();
    this.#handling = this.#handle(message, handler);
    return this.#handling;
  }

  async #handle(message: DecodedMessage, handler: StreamHandler): Promise<void> {
    try {
      if (message.tag === "undecodable") {
        throw new LegacyStreamError(
          "replication-failed",
          `Cannot decode a pgoutput message of slot "${this.#options.slotName}": ${
            (message.error as Error)?.message
          }`,
          { cause: message.error },
        );
      }
      for (const event of this.#decoder.decode(message)) {
        if (this.#failure || this.#stopping) return;
        await this.#deliver(event, handler);
      }
      this.#handled++;
      // The socket was paused while the handler worked: the silence starts now.
      this.#heard = true;
    } catch (error) {
      this.#fail(error);
    }
  }

  async #deliver(event: StreamEvent, handler: StreamHandler): Promise<void> {
    switch (event.type) {
      case "begin":
        return await handler.begin(event.tx);
      case "change":
        return await handler.change(event.change);
      case "commit":
        this.#delivered = parseLsn(event.tx.endLsn);
        return await handler.commit(event.tx);
      case "heartbeat":
        return await handler.heartbeat?.(event.message);
      case "spool":
        return await handler.spool!(event.xid, event.subXid, event.change);
      case "spool-pause":
        return await handler.pauseSpool?.();
      case "spool-abort":
        return await handler.discard!(event.xid, event.subXid);
      case "spool-commit":
        this.#delivered = parseLsn(event.tx.endLsn);
        return await handler.commitSpooled!(event.tx);
    }
  }

  /**
   * A keep-alive: the server's position. When nothing is in flight (no transaction open, none
   * waiting in the queue, every delivered one acknowledged), that position is safe to confirm: it
   * lets the slot free the WAL of other tables and of the daemon's own heartbeats, which never
   * reach the caller. The server sends one whenever it has decoded everything and waits for
   * more, asking for no reply (our regular status updates keep it from ever asking); so the
   * position is confirmed whenever it moves, and otherwise only when a reply is asked for.
   */
  #onKeepalive(walEnd: string, shouldRespond: boolean): void {
    const idle = !this.#decoder.inTransaction && this.#received === this.#handled &&
      this.#acknowledged >= this.#delivered;
    const position = parseLsn(walEnd);
    const moves = idle && position > this.#confirmed;
    if (moves) this.#confirmed = position;
    if (moves || shouldRespond) this.#report(this.#confirmed);
  }

  /**
   * Fails the stream once the server has said nothing for `timeoutMs`, asking it for a reply at
   * half of it. Only while every message that came is handled: while one is, the library pauses
   * the socket, and the silence is the handler's, not the server's.
   */
  #watchSilence(timeoutMs: number): void {
    const now = performance.now();
    if (this.#heard || this.#received !== this.#handled) {
      this.#heard = false;
      this.#quietSince = now;
      this.#askedForReply = false;
      return;
    }
    const quietMs = now - this.#quietSince;
    if (quietMs >= timeoutMs) {
      this.#fail(
        new LegacyStreamError(
          "server-silent",
          `Cannot stream ${this.#options.table.name}: the legacy server sent nothing for ${
            Math.round(quietMs)
          } ms (the receive timeout), not even the reply asked for at half of that; dropping the connection`,
        ),
      );
    } else if (quietMs >= timeoutMs / 2 && !this.#askedForReply) {
      this.#askedForReply = this.#report(this.#confirmed, true);
    }
  }

  /**
   * Sends a status update confirming `position`, asking the server for a reply when `replyNow`;
   * the library reports its argument + 1. False when there is no stream to send it on.
   */
  #report(position: bigint, replyNow = false): boolean {
    const service = this.#service;
    if (!service || service.isStop()) return false;
    service.acknowledge(lsnBefore(formatLsn(position)), replyNow).catch((error) =>
      this.#fail(this.#streamError(error))
    );
    return true;
  }

  #fail(error: unknown): void {
    if (this.#failure || this.#stopping) return;
    this.#failure = { error };
    this.#service?.stop().catch(() => {});
  }

  #clientConfig(): pg.ClientConfig {
    const url = new URL(this.#options.url);
    const given = url.searchParams.get("options");
    url.searchParams.delete("options");
    const settings = { ...SESSION_DEFAULTS, ...this.#options.sessionSettings };
    const options = Object.entries(settings)
      .map(([name, value]) =>
        `-c ${name}=${value.replaceAll("\\", "\\\\").replaceAll(" ", "\\ ")}`
      );
    return {
      connectionString: url.toString(),
      options: [given, ...options].filter(Boolean).join(" "),
      // The silence watch's bound on connecting too: node-postgres cuts the socket at it.
      connectionTimeoutMillis: this.#options.receiveTimeoutMs,
    };
  }

  #streamError(error: unknown): LegacyStreamError {
    const { slotName, table } = this.#options;
    return streamErrorOf(error, { slotName, tableName: table.name });
  }
}
