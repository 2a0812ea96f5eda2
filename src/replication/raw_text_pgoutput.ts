/**
 * The pgoutput plugin of `pg-logical-replication`, keeping every column value
 * as PostgreSQL's text. The library parses values with node-postgres's global
 * type parsers, which turn a timestamptz into a millisecond `Date` and an
 * int4 into a number; the text form loses nothing and is what `::text` gives.
 */
import type { Buffer } from "node:buffer";
import { type Pgoutput, PgoutputPlugin } from "pg-logical-replication";
import type pg from "../db/pg.ts";

/** A message the plugin could not decode, handed on instead of thrown inside the socket's event. */
export interface UndecodableMessage {
  tag: "undecodable";
  error: unknown;
}

/** What the plugin hands to the `data` event. */
export type DecodedMessage = Pgoutput.Message | UndecodableMessage;

const keepText = (text: string): string => text;

/**
 * `PgoutputPlugin` with raw text values. `onReceive` is called for every
 * message as it arrives from the socket, before it waits in the library's
 * flow-control queue: the stream counts what is received but not yet handled.
 */
export class RawTextPgoutputPlugin {
  readonly options: Pgoutput.Options;
  readonly #plugin: PgoutputPlugin;
  readonly #onReceive: () => void;

  constructor(options: Pgoutput.Options, onReceive: () => void = () => {}) {
    this.options = options;
    this.#plugin = new PgoutputPlugin(options);
    this.#onReceive = onReceive;
  }

  /** The output plugin's name. */
  get name(): string {
    return this.#plugin.name;
  }

  /** Sends START_REPLICATION; settles when the stream ends. */
  start(client: pg.Client, slotName: string, lastLsn: string): Promise<unknown> {
    return this.#plugin.start(client, slotName, lastLsn);
  }

  /** Decodes one message; never throws (it runs inside the socket's data event). */
  parse(buffer: Buffer): DecodedMessage {
    this.#onReceive();
    try {
      const message = this.#plugin.parse(buffer);
      // The parser caches this very object and reads later tuples with its parsers.
      if (message.tag === "relation") {
        for (const column of message.columns) column.parser = keepText;
      }
      return message;
    } catch (error) {
      return { tag: "undecodable", error };
    }
  }
}
